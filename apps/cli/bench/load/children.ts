import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { IngestLoadOptions } from "./ingest-load.js";
import type { SearchLoadOptions, SearchLoadResult } from "./search-load.js";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../../../..");

/**
 * A script of this repo under node in a process of its own (stdout piped), with extra settings,
 * at the given nice value (0: as this process).
 */
function child(
  script: string,
  args: string[],
  options: { env?: Record<string, string>; nice?: number } = {},
): ChildProcess {
  const node = [process.execPath, "--import", "tsx", script, ...args];
  const nice = options.nice ?? 0;
  const [command, ...rest] = nice > 0 ? ["nice", "-n", String(nice), ...node] : node;
  return spawn(command, rest, {
    cwd: repo,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "inherit"],
  });
}

/** The last line a child printed, parsed, once it exited (an error when it failed). */
function lastLine<T>(proc: ChildProcess, what: string): Promise<T> {
  let out = "";
  proc.stdout?.on("data", (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) => {
    proc.once("error", reject);
    proc.once("exit", (code, signal) => {
      const line = out.trim().split("\n").pop() ?? "";
      if (code !== 0 || !line)
        reject(new Error(`${what} exited ${code ?? signal}: ${out.slice(-500)}`));
      else resolve(JSON.parse(line) as T);
    });
  });
}

/** Runs a search load in a process of its own and answers its figures. */
export function runSearchLoad(options: SearchLoadOptions): Promise<SearchLoadResult> {
  return lastLine(child(join(here, "search-load.ts"), [JSON.stringify(options)]), "search load");
}

export interface IngestLoad {
  /** Resolves when the child has upserted everything. */
  done: Promise<{ vectors: number; seconds: number }>;
  /** Stops it early; resolves with what it upserted. */
  stop(): Promise<{ vectors: number; seconds: number }>;
}

/**
 * Starts an ingest load in a process of its own; `nice` > 0 runs it below the server's priority,
 * for a writer that stands for clients on other machines (on a small machine its JSON encoding
 * would otherwise take a core from the server it measures).
 */
export function startIngestLoad(options: IngestLoadOptions, nice = 0): IngestLoad {
  const proc = child(join(here, "ingest-load.ts"), [JSON.stringify(options)], { nice });
  const done = lastLine<{ vectors: number; seconds: number }>(proc, "ingest load");
  return {
    done,
    stop() {
      if (proc.exitCode === null) proc.kill("SIGTERM");
      return done;
    },
  };
}

/** `quiver serve` (embedded mode, as `npm start` runs it) in a child process. */
export function startServe(env: Record<string, string>): ChildProcess {
  return child(join(repo, "apps/cli/src/main.ts"), ["serve"], { env });
}
