import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "./free-port.js";

const here = fileURLToPath(import.meta.url);
/** Run from source (tsx, vitest), the processes start from source; from dist/cli.mjs, from dist/. */
const fromSource = here.endsWith(".ts");
const repo = resolve(dirname(here), fromSource ? "../../.." : "..");

function nodeArgs(app: "coordinator" | "shard"): string[] {
  return fromSource ? ["--import", "tsx", `apps/${app}/src/main.ts`] : [`dist/${app}.mjs`];
}

export interface LocalClusterOptions {
  natsUrl: string;
  dataDir: string;
  shards: number;
  partitions: number;
  replicas: number;
  host: string;
  port: number;
  logLevel?: string;
  /** Each shard node's HTTP port (/metrics, /healthz, /readyz); free ports unless told. */
  shardHttpPorts?: number[];
  /** Settings for the coordinator process besides the common ones (e.g. QUIVER_PROMETHEUS_URL). */
  coordinatorEnv?: Record<string, string>;
  /** Settings for every shard process besides the common ones (e.g. QUIVER_SHARD_WORKERS). */
  shardEnv?: Record<string, string>;
  /** Where the processes' output goes (default: this process's stderr). */
  stdio?: "inherit" | "ignore";
}

export interface LocalCluster {
  url: string;
  shardProcesses: ChildProcess[];
  /** Each shard node's /metrics, /healthz, /readyz server. */
  shardHttpUrls: string[];
  coordinator: ChildProcess;
  /** Starts shard i (0-based) again, on the same data directory, after it exited. */
  restartShard(i: number): ChildProcess;
  /** SIGTERM to every process, then waits for them (SIGKILL after 20 s). */
  stop(): Promise<void>;
}

function run(
  app: "coordinator" | "shard",
  env: Record<string, string>,
  stdio: "inherit" | "ignore",
): ChildProcess {
  return spawn(process.execPath, nodeArgs(app), {
    cwd: repo,
    env: { ...process.env, ...env },
    stdio: ["ignore", stdio, stdio],
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once("exit", () => r()));
}

/**
 * A cluster on this machine (brief §4): N shard node processes and a coordinator process on a
 * nats-server with JetStream. Resolves once the coordinator's /readyz says every partition is
 * served.
 */
export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const stdio = options.stdio ?? "inherit";
  const common = {
    QUIVER_NATS_URL: options.natsUrl,
    QUIVER_PARTITIONS: String(options.partitions),
    QUIVER_LOG_LEVEL: options.logLevel ?? "info",
  };
  const shardPorts =
    options.shardHttpPorts ??
    (await Promise.all(Array.from({ length: options.shards }, () => freePort())));
  const startShard = (i: number) => {
    const shardId = `shard-${i + 1}`;
    const dataDir = join(options.dataDir, shardId);
    mkdirSync(dataDir, { recursive: true });
    return run(
      "shard",
      {
        ...common,
        ...options.shardEnv,
        QUIVER_SHARD_ID: shardId,
        QUIVER_DATA_DIR: dataDir,
        QUIVER_REPLICAS: String(options.replicas),
        QUIVER_SHARD_HTTP_PORT: String(shardPorts[i]),
      },
      stdio,
    );
  };
  const shardProcesses = Array.from({ length: options.shards }, (_, i) => startShard(i));
  const coordinator = run(
    "coordinator",
    {
      ...common,
      ...options.coordinatorEnv,
      QUIVER_HOST: options.host,
      QUIVER_PORT: String(options.port),
    },
    stdio,
  );
  const all = [...shardProcesses, coordinator];
  const restartShard = (i: number) => {
    const child = startShard(i);
    shardProcesses[i] = child;
    all.push(child);
    return child;
  };
  const url = `http://${options.host}:${options.port}`;
  const stop = async () => {
    for (const child of all)
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const killer = setTimeout(
      () => all.forEach((c) => c.exitCode === null && c.kill("SIGKILL")),
      20_000,
    );
    await Promise.all(all.map(exited));
    clearTimeout(killer);
  };
  const deadline = Date.now() + 120_000;
  const shardHttpUrls = shardPorts.map((port) => `http://127.0.0.1:${port}`);
  const answers = (u: string) =>
    fetch(u, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.ok,
      () => false,
    );
  for (;;) {
    const dead = all.find((c) => c.exitCode !== null || c.signalCode !== null);
    if (dead) {
      await stop();
      throw new Error(`a cluster process exited with ${dead.exitCode} while starting`);
    }
    // every partition served, and every shard node up (a slower one would join later and move
    // partitions under the caller's feet)
    const ready =
      (await answers(`${url}/readyz`)) &&
      (await Promise.all(shardHttpUrls.map((u) => answers(`${u}/healthz`)))).every(Boolean);
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error("the cluster did not become ready within 120 s");
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, shardProcesses, shardHttpUrls, coordinator, restartShard, stop };
}
