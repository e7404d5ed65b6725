import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { QuiverClient } from "@quiver/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "./free-port.js";
import { randomVectors } from "./test-support/vectors.js";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** Resolves with the exit code, or with undefined after `ms`. */
function exitWithin(child: ChildProcess, ms: number): Promise<number | null | undefined> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((done) => {
    const timer = setTimeout(() => done(undefined), ms);
    child.once("exit", (code) => {
      clearTimeout(timer);
      done(code);
    });
  });
}

// `npm start` as users run it: the bundles in dist/ (scripts/build.mjs), not the sources.
describe("quiver serve from the bundles in dist/", () => {
  const dir = mkdtempSync(join(tmpdir(), "quiver-bundle-"));
  let child: ChildProcess;
  let stderr = "";
  let client: QuiverClient;

  beforeAll(async () => {
    await promisify(execFile)(process.execPath, ["scripts/build.mjs"], { cwd: repo });
    const port = await freePort();
    child = spawn(process.execPath, ["dist/cli.mjs", "serve"], {
      cwd: repo,
      env: {
        ...process.env,
        QUIVER_HOST: "127.0.0.1",
        QUIVER_PORT: String(port),
        QUIVER_DATA_DIR: join(dir, "data"),
        QUIVER_PARTITIONS: "2",
        QUIVER_SHARD_WORKERS: "2",
        QUIVER_LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    child.stderr?.on("data", (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
    client = new QuiverClient({ url: `http://127.0.0.1:${port}` });
    const deadline = Date.now() + 60_000;
    while (!(await client.healthy())) {
      if (child.exitCode !== null) throw new Error(`quiver serve exited: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`quiver serve did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("creates a library, ingests, trains it in its threads, searches, and stops on SIGTERM", async () => {
    const dim = 8;
    const count = 300;
    const data = randomVectors(count, dim, 3);
    const lib = await client.createLibrary({
      name: "bundled",
      dimension: dim,
      quantization_config: { strategy: "hybrid", calibration_samples: 100 },
    });
    const rows = Array.from({ length: count }, (_, i) => ({
      id: `v${i}`,
      vector: data.subarray(i * dim, (i + 1) * dim),
    }));
    await client.upsert(lib.id, rows, { wait: true });
    // the training thread trains the quantizer, the partition threads build their codes
    const deadline = Date.now() + 60_000;
    for (;;) {
      const stats = await client.statistics(lib.id);
      if (stats.state === "serving" && stats.quantization.training) break;
      if (Date.now() > deadline) throw new Error(`not trained: ${JSON.stringify(stats)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const { results } = await client.search(lib.id, data.subarray(7 * dim, 8 * dim), { k: 5 });
    expect(results).toHaveLength(5);
    expect(results[0]).toMatchObject({ id: "v7", distance: 0 });

    child.kill("SIGTERM");
    expect(await exitWithin(child, 15_000)).toBe(0);
  });
});
