import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { serverTimingFrom } from "@quiver/coordinator";

/** Settings from the environment (brief §3), with the embedded defaults. */
export interface ServeConfig {
  host: string;
  port: number;
  dataDir: string;
  /** Data partitions: what a library gets by default and the most it may have. */
  partitions: number;
  /** Worker threads the shard runs its partitions on (default: one per core). */
  workers?: number;
  logLevel: string;
  /** How often libraries' recall is measured in the background (default 5 min; 0: never). */
  probeIntervalMs?: number;
  /** A Server-Timing header on every response: where its time went (QUIVER_SERVER_TIMING=1). */
  serverTiming?: boolean;
}

function intFrom(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`);
  }
  return n;
}

export function serveConfig(env: NodeJS.ProcessEnv = process.env): ServeConfig {
  const workers = intFrom(env, "QUIVER_SHARD_WORKERS", availableParallelism(), 1, 256);
  return {
    host: env.QUIVER_HOST || "127.0.0.1",
    port: intFrom(env, "QUIVER_PORT", 8080, 0, 65535),
    dataDir: resolve(env.QUIVER_DATA_DIR || "./data"),
    // one partition per worker by default, so that a library's searches and inserts use every core
    partitions: intFrom(env, "QUIVER_PARTITIONS", workers, 1, 1024),
    workers,
    logLevel: env.QUIVER_LOG_LEVEL || "info",
    probeIntervalMs: intFrom(env, "QUIVER_PROBE_INTERVAL_MS", 300_000, 0, 2 ** 31 - 1),
    serverTiming: serverTimingFrom(env),
  };
}
