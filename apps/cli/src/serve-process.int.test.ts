import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { QuiverClient } from "@quiver/api";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "@quiver/testing";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** What `npm start` runs (scripts/start.sh: set-up, then exec quiver serve), own port and data. */
function startServe(port: number, dataDir: string): ChildProcess {
  return spawn("bash", ["scripts/start.sh"], {
    cwd: repo,
    env: {
      ...process.env,
      QUIVER_HOST: "127.0.0.1",
      QUIVER_PORT: String(port),
      QUIVER_DATA_DIR: dataDir,
      QUIVER_LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
}

async function waitHealthy(client: QuiverClient, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`quiver exited with ${child.exitCode}`);
    if (await client.healthy()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("quiver did not answer /healthz within 60 s");
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once("exit", (code) => r(code)));
}

describe("npm start (scripts/start.sh)", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "quiver-serve-"));
  const started: ChildProcess[] = [];
  afterAll(() => {
    for (const child of started)
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("honours QUIVER_*, stops cleanly on SIGTERM and serves the same data after a restart and after SIGKILL", async () => {
    const port = await freePort();
    const client = new QuiverClient({ url: `http://127.0.0.1:${port}` });
    let child = startServe(port, dataDir);
    started.push(child);
    await waitHealthy(client, child);
    const lib = await client.createLibrary({ name: "kept", dimension: 3 });
    await client.upsert(lib.id, [{ id: "a", vector: [1, 2, 3], metadata: { n: 1 } }], {
      wait: true,
    });

    child.kill("SIGTERM");
    expect(await exited(child)).toBe(0);

    child = startServe(port, dataDir);
    started.push(child);
    await waitHealthy(client, child);
    expect((await client.getVector(lib.id, "a")).metadata).toEqual({ n: 1 });
    // acknowledged, not waited for: the log has it, the shard may not have applied it yet
    await client.upsert(lib.id, [{ id: "b", vector: [3, 2, 1] }]);
    child.kill("SIGKILL");
    await exited(child);

    child = startServe(port, dataDir);
    started.push(child);
    await waitHealthy(client, child);
    const found = await client.search(lib.id, [3, 2, 1], { k: 2, consistency: "strong" });
    expect(found.results.map((h) => h.id)).toEqual(["b", "a"]);
    expect((await client.getLibrary(lib.id)).num_vectors).toBe(2);
    child.kill("SIGTERM");
    expect(await exited(child)).toBe(0);
  });
});
