// A coordinator process (cluster mode): `node dist/coordinator.mjs` after `npm run build`, or from
// source: `node --import tsx apps/coordinator/src/main.ts`.
// QUIVER_NATS_URL, QUIVER_HOST (127.0.0.1), QUIVER_PORT (8080), QUIVER_PARTITIONS (8),
// QUIVER_LOG_LEVEL, QUIVER_PROBE_INTERVAL_MS (300000; 0: no background recall probe),
// QUIVER_SERVER_TIMING (0; 1: a Server-Timing header on every response).
import { hostname } from "node:os";
import { KvLease, KvMembership, MembershipRouter, NatsShardClient } from "@quiver/cluster";
import { JetStreamKv, JetStreamLog } from "@quiver/log";
import { collectProcessMetrics, createLogger } from "@quiver/telemetry";
import { CATALOG_BUCKET } from "./catalog/catalog.js";
import {
  policyTiming,
  serverTimingFrom,
  startCoordinator,
  trainingInterval,
} from "./coordinator.js";
import { PrometheusSource } from "./policy/prometheus-source.js";

const env = process.env;
const partitions = Number(env.QUIVER_PARTITIONS || 8);
const probeIntervalMs = Number(env.QUIVER_PROBE_INTERVAL_MS || 300_000);
if (!Number.isSafeInteger(probeIntervalMs) || probeIntervalMs < 0) {
  throw new Error(`QUIVER_PROBE_INTERVAL_MS must be a whole number of ms (0: off)`);
}
const logger = createLogger("coordinator");
const log = await JetStreamLog.connect({ servers: env.QUIVER_NATS_URL || "nats://127.0.0.1:4222" });
// the catalog's snapshot and the library facts, in a KV bucket on the same connection
const kv = await JetStreamKv.open(log.connection, { bucket: CATALOG_BUCKET });
const membership = await KvMembership.open(log.connection);
const router = new MembershipRouter(membership, (id) => new NatsShardClient(log.connection, id));
const coordinator = await startCoordinator({
  log,
  kv,
  router,
  logger,
  defaultPartitions: partitions,
  maxPartitions: partitions,
  registries: [collectProcessMetrics()],
  probeIntervalMs,
  trainingIntervalMs: trainingInterval(env),
  serverTiming: serverTimingFrom(env),
  policy: {
    lease: await KvLease.open(log.connection, {
      name: "policy",
      holderId: `coordinator-${hostname()}-${process.pid}`,
    }),
    ...(env.QUIVER_PROMETHEUS_URL
      ? { source: new PrometheusSource({ url: env.QUIVER_PROMETHEUS_URL }) }
      : {}),
    ...policyTiming(env),
  },
});
const address = await coordinator.listen(
  env.QUIVER_HOST || "127.0.0.1",
  Number(env.QUIVER_PORT || 8080),
);
logger.info({ address, partitions }, "coordinator serving");

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await coordinator.close();
  await kv.close();
  await membership.close();
  await log.close();
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
