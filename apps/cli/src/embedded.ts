import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { InProcessMembership } from "@quiver/cluster";
import {
  type MemoryPressureSource,
  MembershipRouter,
  partitionsOf,
  ProcessSource,
  policyTiming,
  startCoordinator,
} from "@quiver/coordinator";
import { LmdbLog } from "@quiver/log";
import { MembershipAgent, ShardNode } from "@quiver/shard";
import { PartitionStore } from "@quiver/store";
import {
  collectProcessMetrics,
  createLogger,
  createShardMetrics,
  type Logger,
} from "@quiver/telemetry";
import type { ServeConfig } from "./config.js";

export interface Embedded {
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  /** Memory pressure read from this process (the adaptive policy's input in embedded mode). */
  pressure: MemoryPressureSource;
  close(): Promise<void>;
}

/**
 * Quiver in one process (brief §4, embedded mode): the LMDB log and a shard node hosting every
 * partition under the data directory, and a coordinator in front, all over the same interfaces
 * as the cluster.
 */
export async function startEmbedded(config: ServeConfig, logger?: Logger): Promise<Embedded> {
  const log = logger ?? createLogger("quiver", { level: config.logLevel });
  mkdirSync(config.dataDir, { recursive: true });
  const eventLog = LmdbLog.open({ path: join(config.dataDir, "log") });
  const store = PartitionStore.open({ path: join(config.dataDir, "shard") });
  const metrics = createShardMetrics();
  const shard = new ShardNode({ shardId: "embedded", store, log: eventLog, metrics, logger: log });
  // The process's metrics once, on the shard registry (the coordinator exports it too).
  collectProcessMetrics(metrics.registry);
  metrics.observeLibraries(() => shard.libraryMemory());
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
    router: new MembershipRouter(membership, () => shard),
    logger: log,
    defaultPartitions: config.partitions,
    maxPartitions: config.partitions,
    registries: [metrics.registry],
    policy: {
      source: new ProcessSource({ registry: metrics.registry, shardId: "embedded" }),
      ...policyTiming(process.env),
    },
    probeIntervalMs: config.probeIntervalMs,
    serverTiming: config.serverTiming,
  });
  // Libraries created with more partitions than this start allows are still served.
  const needed = Math.max(config.partitions, ...coordinator.catalog.all().map(partitionsOf));
  if (needed > config.partitions) {
    agent.setPartitions(needed);
    await agent.settled();
  }
  const address = await coordinator.listen(config.host, config.port);
  log.info({ address, dataDir: config.dataDir, partitions: needed }, "Quiver serving (embedded)");
  let closed: Promise<void> | undefined;
  return {
    url: address,
    pressure: new ProcessSource({ registry: metrics.registry, shardId: "embedded" }),
    close() {
      closed ??= (async () => {
        await coordinator.close();
        await agent.stop();
        await shard.close();
        await membership.close();
        await eventLog.close();
        await store.close();
        log.info("Quiver stopped");
      })();
      return closed;
    },
  };
}
