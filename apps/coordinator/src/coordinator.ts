import type { ShardClient } from "@quiver/api";
import type { EventLog, KvStore } from "@quiver/log";
import {
  createCoordinatorMetrics,
  type Logger,
  type MetricsSource,
  maxLibrarySeries,
  registerRecallMetrics,
} from "@quiver/telemetry";
import type { FastifyInstance } from "fastify";
import { buildApp } from "./app.js";
import { Catalog, partitionsOf } from "./catalog/catalog.js";
import type { PartitionRouter } from "@quiver/cluster";
import type { ServiceContext } from "./service/context.js";
import { ProbeScheduler } from "./service/probe/probe-scheduler.js";
import { createServices, type PolicyOptions } from "./services.js";

export interface CoordinatorOptions {
  log: EventLog;
  /**
   * Where the catalog keeps its snapshot and the libraries' last-value facts (recall, policy
   * decisions, migration progress), and where benchmark jobs are recorded: JetStreamKv in a
   * cluster, LmdbKv in embedded mode.
   */
  kv: KvStore;
  router: PartitionRouter;
  logger: Logger;
  defaultPartitions: number;
  maxPartitions: number;
  /** Registries exported at /metrics besides the coordinator's own (e.g. in-process shards'). */
  registries?: MetricsSource[];
  searchTimeoutMs?: number;
  waitTimeoutMs?: number;
  bodyLimit?: number;
  /** How often migrations in progress are checked for completion or failure. */
  migrationCheckMs?: number;
  /** The adaptive policy: where its figures come from, its lease, how often it runs. */
  policy?: PolicyOptions;
  /** How often each library's recall is measured in the background (default 5 min; 0: never). */
  probeIntervalMs?: number;
  /** How often libraries due a training are looked for (default 5 s). */
  trainingIntervalMs?: number;
  /** A Server-Timing header on every response (QUIVER_SERVER_TIMING=1; default off). */
  serverTiming?: boolean;
}

export interface Coordinator {
  app: FastifyInstance;
  catalog: Catalog;
  /** Listens on host:port; answers the address. */
  listen(host: string, port: number): Promise<string>;
  close(): Promise<void>;
}

/** A coordinator: the catalog view, the services and the HTTP API over a log and a router. */
export async function startCoordinator(options: CoordinatorOptions): Promise<Coordinator> {
  const catalog = new Catalog(options.log, options.kv, options.logger);
  await catalog.start();
  const ctx: ServiceContext = {
    log: options.log,
    kv: options.kv,
    catalog,
    router: options.router,
    logger: options.logger,
    defaultPartitions: options.defaultPartitions,
    maxPartitions: options.maxPartitions,
    searchTimeoutMs: options.searchTimeoutMs ?? 30_000,
    waitTimeoutMs: options.waitTimeoutMs ?? 30_000,
  };
  const metrics = createCoordinatorMetrics();
  registerRecallMetrics(metrics.registry, () => catalog.allRecalls(), maxLibrarySeries());
  let closing = false;
  const services = createServices(ctx, options.policy, options.trainingIntervalMs);
  services.migrations.startDriving(options.migrationCheckMs ?? 1000);
  services.policy.start();
  services.training.start();
  const app = await buildApp({
    services,
    logger: options.logger,
    metrics,
    bodyLimit: options.bodyLimit,
    serverTiming: options.serverTiming,
    serving: () => !closing && options.router.ready(),
    servingReplicas: () => servingReplicas(options.router, catalog, options.maxPartitions),
    registries: [metrics.registry, ...(options.registries ?? [])],
  });
  const scheduler = new ProbeScheduler(
    ctx,
    services.probe,
    services.nodeStats,
    options.probeIntervalMs ?? 300_000,
  );
  scheduler.start();
  return {
    app,
    catalog,
    async listen(host, port) {
      const address = await app.listen({ host, port });
      services.ingest.start();
      return address;
    },
    async close() {
      closing = true;
      await services.training.stop();
      await services.policy.stop();
      await services.migrations.stop();
      await scheduler.stop();
      await app.close();
      await services.ingest.close();
      await catalog.stop();
    },
  };
}

/** A setting of whole ms > 0 from the environment, when set. */
function msFrom(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms <= 0) throw new Error(`${name} must be a whole number of ms > 0`);
  return ms;
}

/** QUIVER_TRAINING_INTERVAL_MS: how often libraries due a training are looked for. */
export function trainingInterval(env: NodeJS.ProcessEnv): number | undefined {
  return msFrom(env, "QUIVER_TRAINING_INTERVAL_MS");
}

/** QUIVER_SERVER_TIMING: 1 or true turns the Server-Timing header on. */
export function serverTimingFrom(env: NodeJS.ProcessEnv): boolean {
  const raw = (env.QUIVER_SERVER_TIMING ?? "").trim().toLowerCase();
  if (raw === "" || raw === "0" || raw === "false") return false;
  if (raw === "1" || raw === "true") return true;
  throw new Error(
    `QUIVER_SERVER_TIMING must be 1 or 0, got ${JSON.stringify(env.QUIVER_SERVER_TIMING)}`,
  );
}

/** QUIVER_POLICY_INTERVAL_MS and QUIVER_POLICY_COOLDOWN_MS, when set. */
export function policyTiming(env: NodeJS.ProcessEnv): { intervalMs?: number; cooldownMs?: number } {
  const intervalMs = msFrom(env, "QUIVER_POLICY_INTERVAL_MS");
  const cooldownMs = msFrom(env, "QUIVER_POLICY_COOLDOWN_MS");
  return {
    ...(intervalMs ? { intervalMs } : {}),
    ...(cooldownMs ? { cooldownMs } : {}),
  };
}

/** Per partition of the deployment (and of its libraries), the shards that serve it now. */
async function servingReplicas(
  router: PartitionRouter,
  catalog: Catalog,
  partitions: number,
): Promise<Record<number, string[]>> {
  const needed = Math.max(partitions, ...catalog.all().map(partitionsOf));
  const shards = new Map<string, ShardClient>();
  for (let p = 0; p < needed; p++) for (const s of router.replicas(p)) shards.set(s.shardId, s);
  const serving: Record<number, string[]> = {};
  for (let p = 0; p < needed; p++) serving[p] = [];
  await Promise.all(
    [...shards.values()].map(async (s) => {
      const status = await s.status().catch(() => undefined);
      for (const p of status?.partitions ?? []) {
        if (p.state === "serving" && p.partition < needed) serving[p.partition].push(s.shardId);
      }
    }),
  );
  for (const ids of Object.values(serving)) ids.sort();
  return serving;
}
