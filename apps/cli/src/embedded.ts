import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { InProcessMembership, MembershipRouter } from "@quiver/cluster";
import {
  type MemoryPressureSource,
  partitionsOf,
  ProcessSource,
  policyTiming,
  trainingInterval,
  startCoordinator,
} from "@quiver/coordinator";
import { LmdbKv, LmdbLog } from "@quiver/log";
import { MembershipAgent, ShardNode } from "@quiver/shard";
import { collectProcessMetrics, createLogger, type Logger } from "@quiver/telemetry";
import type { ServeConfig } from "./config.js";

export interface Embedded {
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  /** Memory pressure read from this process (the adaptive policy's input in embedded mode). */
  pressure: MemoryPressureSource;
  close(): Promise<void>;
}

/**
 * Quiver in one process (brief §4, embedded mode): the LMDB log, the LMDB KV store (catalog
 * snapshot, library facts) and a shard node hosting every partition under the data directory,
 * and a coordinator in front, all over the same interfaces as the cluster.
 */
export async function startEmbedded(config: ServeConfig, logger?: Logger): Promise<Embedded> {
  const log = logger ?? createLogger("quiver", { level: config.logLevel });
  mkdirSync(config.dataDir, { recursive: true });
  const logPath = join(config.dataDir, "log");
  const eventLog = LmdbLog.open({ path: logPath });
  // the catalog's snapshot, the library facts and the benchmark jobs (which the shard runs)
  const kv = LmdbKv.open({ path: join(config.dataDir, "kv") });
  const shard = await ShardNode.start({
    shardId: "embedded",
    storePath: join(config.dataDir, "shard"),
    // the workers read the log this thread writes
    log: { kind: "lmdb", path: logPath },
    workers: config.workers,
    logger: log,
    logLevel: config.logLevel,
    // the process's metrics once, with the shard's (the coordinator exports them)
    registry: collectProcessMetrics(),
    // trainings append their quantizers to the log this thread writes
    training: { log: eventLog },
    benchmarks: { kv },
  });
  const pressure = new ProcessSource({
    libraryMemory: () => shard.libraryMemory(),
    shardId: "embedded",
  });
  // The cluster's membership and routing, in process: one node that owns every partition.
  const membership = new InProcessMembership();
  const agent = new MembershipAgent(
    shard,
    membership,
    { partitions: config.partitions, replicas: 1 },
    log,
  );
  await agent.start();
  await agent.settled();
  const coordinator = await startCoordinator({
    log: eventLog,
    kv,
    router: new MembershipRouter(membership, () => shard),
    logger: log,
    defaultPartitions: config.partitions,
    maxPartitions: config.partitions,
    registries: [shard.metrics()],
    policy: {
      source: pressure,
      ...policyTiming(process.env),
    },
    probeIntervalMs: config.probeIntervalMs,
    trainingIntervalMs: trainingInterval(process.env),
    serverTiming: config.serverTiming,
  });
  // Libraries created with more partitions than this start allows are still served.
  const needed = Math.max(config.partitions, ...coordinator.catalog.all().map(partitionsOf));
  if (needed > config.partitions) {
    agent.setPartitions(needed);
    await agent.settled();
  }
  const address = await coordinator.listen(config.host, config.port);
  log.info(
    { address, dataDir: config.dataDir, partitions: needed, workers: shard.workerCount },
    "Quiver serving (embedded)",
  );
  let closed: Promise<void> | undefined;
  return {
    url: address,
    pressure,
    close() {
      closed ??= (async () => {
        await coordinator.close();
        await agent.stop();
        await shard.close();
        await kv.close();
        await membership.close();
        await eventLog.close();
        log.info("Quiver stopped");
      })();
      return closed;
    },
  };
}
