// A coordinator process started over a store and timed until it serves: from spawn until
// GET /v1/libraries lists every library, with what its own log says of the catalog's start and
// the CPU it used until then (a figure the other work on a shared machine does not inflate).
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "@quiver/testing";
import { cpuMs } from "../process-cpu.js";
import type { Store } from "./stores.js";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
/** A start that takes longer than this has failed. */
const START_TIMEOUT_MS = 300_000;

export interface ProcessStart {
  /** Spawn to GET /v1/libraries answering with every library. */
  serving_ms: number;
  /** Spawn to the catalog's start (node, its bundle, the connections; embedded: the shards). */
  boot_ms?: number;
  /** The catalog's start as the process logged it (facts, snapshot, tail). */
  catalog_ms?: number;
  /** CPU ms the process (every thread) used until it served. */
  cpu_ms: number;
  /** Libraries with a recall in the process's /metrics. */
  recalls: number;
  /** SIGTERM to exit, and whether it exited by itself with 0 (else it was killed after 60 s). */
  stop_ms: number;
  clean: boolean;
}

/** One start of a coordinator process over `store` (whose handles this process releases). */
export async function processStart(
  store: Store,
  libraries: number,
  partitions: number,
): Promise<ProcessStart> {
  await store.release();
  const port = await freePort();
  const { script, args, env } = store.process(port);
  const url = `http://127.0.0.1:${port}`;
  const spawnedAtMs = Date.now();
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, [script, ...args], {
    cwd: repo,
    env: {
      ...process.env,
      QUIVER_HOST: "127.0.0.1",
      QUIVER_PARTITIONS: String(partitions),
      QUIVER_PROBE_INTERVAL_MS: "0",
      QUIVER_LOG_LEVEL: "info",
      QUIVER_METRICS_MAX_LIBRARIES: String(Math.max(1, libraries)),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
  let catalogLine: { time: number; ms: number } | undefined;
  let partial = "";
  child.stdout?.on("data", (b: Buffer) => {
    const lines = (partial + b.toString()).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) catalogLine ??= catalogLoaded(line);
  });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  let served: Omit<ProcessStart, "stop_ms" | "clean"> | undefined;
  let failure: unknown;
  try {
    served = await untilServing();
  } catch (error) {
    failure = error;
  }
  const stopping = performance.now();
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  await exited;
  clearTimeout(timer);
  if (!served) throw failure;
  const stop_ms = Math.round(performance.now() - stopping);
  return { ...served, stop_ms, clean: child.exitCode === 0 };

  async function untilServing(): Promise<Omit<ProcessStart, "stop_ms" | "clean">> {
    let serving_ms: number;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${script} exited ${child.exitCode}: ${stderr}`);
      if (performance.now() - started > START_TIMEOUT_MS)
        throw new Error(`${script} did not serve in ${START_TIMEOUT_MS} ms: ${stderr}`);
      const listed = await fetch(`${url}/v1/libraries`)
        .then(async (r) => (r.ok ? ((await r.json()) as { libraries: unknown[] }) : undefined))
        .catch(() => undefined);
      if (listed && listed.libraries.length === libraries) {
        serving_ms = Math.round(performance.now() - started);
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    const cpu_ms = cpuMs(child.pid as number);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const recalls = metrics
      .split("\n")
      .filter((l) => l.startsWith("quiver_library_recall{") && l.includes('k="10"')).length;
    return {
      serving_ms,
      ...(catalogLine && {
        boot_ms: catalogLine.time - catalogLine.ms - spawnedAtMs,
        catalog_ms: catalogLine.ms,
      }),
      cpu_ms,
      recalls,
    };
  }
}

/** The "catalog loaded" line of a coordinator's JSON log: when it was written and the start's ms. */
function catalogLoaded(line: string): { time: number; ms: number } | undefined {
  if (!line.includes('"catalog loaded"')) return undefined;
  try {
    const { time, ms } = JSON.parse(line) as { time: number; ms: number };
    return typeof time === "number" && typeof ms === "number" ? { time, ms } : undefined;
  } catch {
    return undefined;
  }
}
