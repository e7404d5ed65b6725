// Quiver as `npm start` runs it (scripts/start.sh: `node dist/cli.mjs serve`, the bundle), in a
// child process of the benchmark on a free port over a given data directory.
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { QuiverClient } from "@quiver/api";
import { freePort } from "@quiver/testing";
import { bundle } from "./bundles.js";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

export interface QuiverProcess {
  url: string;
  pid: number;
  /** SIGTERM, then waits for a clean exit (it snapshots its indexes). */
  stop(): Promise<void>;
}

export async function startQuiver(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<QuiverProcess> {
  const port = await freePort();
  // extra node flags for the server, e.g. QUIVER_BENCH_NODE_FLAGS="--cpu-prof" to profile it
  const flags = (process.env.QUIVER_BENCH_NODE_FLAGS ?? "").split(" ").filter(Boolean);
  const args = [...flags, bundle("cli"), "serve"];
  const child: ChildProcess = spawn("node", args, {
    cwd: repo,
    env: {
      ...process.env,
      QUIVER_HOST: "127.0.0.1",
      QUIVER_PORT: String(port),
      QUIVER_DATA_DIR: dataDir,
      QUIVER_LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
  });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const url = `http://127.0.0.1:${port}`;
  const client = new QuiverClient({ url });
  const deadline = Date.now() + 120_000;
  while (!(await client.healthy())) {
    if (child.exitCode !== null)
      throw new Error(`quiver serve exited with ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`quiver serve did not answer /healthz within 120 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    pid: child.pid as number,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
