// A shard node process (cluster mode): `node dist/shard.mjs` after `npm run build`, or from
// source: `node --import tsx apps/shard/src/main.ts`.
// QUIVER_NATS_URL, QUIVER_SHARD_ID, QUIVER_DATA_DIR, QUIVER_PARTITIONS (8), QUIVER_REPLICAS (1),
// QUIVER_SHARD_HTTP_PORT (/metrics, /healthz, /readyz; 0 picks one), QUIVER_LOG_LEVEL,
// QUIVER_SHARD_WORKERS (worker threads for the partitions; one per core), QUIVER_BENCHMARK_LEASE_MS
// (how long a benchmark job this node runs may go without a heartbeat before it counts as failed).
import { mkdirSync } from "node:fs";
import { createServer } from "node:http";
import { join, resolve } from "node:path";
import {
  CATALOG_BUCKET,
  KvMembership,
  MembershipRouter,
  NatsShardClient,
  sampleAcross,
} from "@quiver/cluster";
import { JetStreamKv, JetStreamLog } from "@quiver/log";
import { collectProcessMetrics, createLogger, Registry } from "@quiver/telemetry";
import { MembershipAgent } from "./node/membership-agent.js";
import { ShardNode } from "./node/shard-node.js";
import { ShardRpcServer } from "./service/shard-rpc-server.js";

const env = process.env;
const shardId = env.QUIVER_SHARD_ID || "shard-1";
const dataDir = resolve(env.QUIVER_DATA_DIR || `./data/${shardId}`);
const partitions = Number(env.QUIVER_PARTITIONS || 8);
const replicas = Number(env.QUIVER_REPLICAS || 1);
const logger = createLogger(`shard ${shardId}`);
const benchmarkLeaseMs = env.QUIVER_BENCHMARK_LEASE_MS
  ? Number(env.QUIVER_BENCHMARK_LEASE_MS)
  : undefined;
if (benchmarkLeaseMs !== undefined && !(Number.isInteger(benchmarkLeaseMs) && benchmarkLeaseMs > 0))
  throw new Error("QUIVER_BENCHMARK_LEASE_MS must be a whole number of ms > 0");

// The HTTP endpoints answer from the first moment: /healthz and /readyz say 503 "starting" until
// the node's threads run and it has joined the membership.
const running: { node?: ShardNode; metrics?: { metrics(): Promise<string> } } = {};
const registry = new Registry();
// Every series names its shard (Prometheus adds job and instance), for the adaptive policy.
registry.setDefaultLabels({ shard_id: shardId });
collectProcessMetrics(registry);
const http = createServer((req, res) => {
  const { node: started, metrics: nodeMetrics } = running;
  if (!started || !nodeMetrics) {
    res.writeHead(req.url === "/metrics" ? 503 : req.url?.endsWith("z") ? 503 : 404);
    res.end("starting");
    return;
  }
  const states = started.states();
  if (req.url === "/metrics") {
    void nodeMetrics.metrics().then((text) => {
      res.writeHead(200, { "content-type": registry.contentType });
      res.end(text);
    });
  } else if (req.url === "/healthz") {
    res.writeHead(200).end("ok");
  } else if (req.url === "/readyz") {
    const ready = states.length > 0 && states.every((s) => s.state === "serving");
    res.writeHead(ready ? 200 : 503, { "content-type": "application/json" });
    res.end(JSON.stringify({ partitions: states }));
  } else res.writeHead(404).end();
});
http.listen(Number(env.QUIVER_SHARD_HTTP_PORT || 0), "127.0.0.1");

mkdirSync(dataDir, { recursive: true });
const servers = env.QUIVER_NATS_URL || "nats://127.0.0.1:4222";
const log = await JetStreamLog.connect({ servers });
const membership = await KvMembership.open(log.connection);
// trainings sample a library across the cluster: its partitions may be served by other nodes
const router = new MembershipRouter(membership, (id) => new NatsShardClient(log.connection, id));
// benchmark jobs keep their records beside the catalog's facts, where every coordinator reads them
const kv = await JetStreamKv.open(log.connection, { bucket: CATALOG_BUCKET });
const node = await ShardNode.start({
  shardId,
  storePath: join(dataDir, "store"),
  log: { kind: "jetstream", servers },
  logger,
  registry,
  training: {
    log,
    sampler: (library, count, seed) => sampleAcross(router, library, count, seed),
  },
  benchmarks: { kv, leaseMs: benchmarkLeaseMs },
});
const rpc = new ShardRpcServer(log.connection, node, logger);
rpc.start();
const agent = new MembershipAgent(node, membership, { partitions, replicas }, logger);
await agent.start();
running.metrics = node.metrics();
running.node = node;
logger.info(
  { address: http.address(), dataDir, partitions, replicas, workers: node.workerCount },
  "shard node up",
);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await agent.stop();
  await rpc.stop();
  try {
    await node.close();
  } catch (error) {
    // as `quiver serve` does: process.exit would wait for the threads that did not stop
    console.error("quiver shard: stop failed, exiting at once:", error);
    process.kill(process.pid, "SIGKILL");
  }
  await kv.close();
  await membership.close();
  await log.close();
  http.close();
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
