import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { QuiverClient } from "@quiver/api";
import { silentLogger } from "@quiver/telemetry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Embedded, startEmbedded } from "../embedded.js";
import { randomVectors } from "../test-support/vectors.js";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `quiver migrate ...args` as a child process (stdout and stderr are pipes, not a TTY). */
function quiverMigrate(args: string[]): Promise<CliRun> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "apps/cli/src/main.ts", "migrate", ...args],
    { cwd: repo, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 100_000);
  return new Promise((done) =>
    child.once("close", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    }),
  );
}

describe("quiver migrate", () => {
  const dir = mkdtempSync(join(tmpdir(), "quiver-migrate-cli-"));
  const dim = 16;
  const count = 4000;
  const data = randomVectors(count, dim, 7);
  let quiver: Embedded;
  let client: QuiverClient;

  async function library(name: string): Promise<string> {
    const lib = await client.createLibrary({ name, dimension: dim, partitions: 3 });
    for (let i = 0; i < count; i += 1000) {
      const rows = Array.from({ length: 1000 }, (_, j) => ({
        id: `v${i + j}`,
        vector: data.subarray((i + j) * dim, (i + j + 1) * dim),
      }));
      await client.upsert(lib.id, rows, { wait: true });
    }
    return lib.id;
  }

  beforeAll(async () => {
    quiver = await startEmbedded(
      { host: "127.0.0.1", port: 0, dataDir: join(dir, "data"), partitions: 3, logLevel: "silent" },
      silentLogger(),
    );
    client = new QuiverClient({ url: quiver.url });
  });
  afterAll(async () => {
    await quiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("migrates none -> scalar with progress lines and a before/after table", async () => {
    const id = await library("cli-scalar");
    const before = await client.statistics(id);
    expect(before.quantization.strategy).toBe("none");
    const run = await quiverMigrate([
      id,
      "--config",
      '{"strategy":"scalar","calibration_samples":500}',
      "--url",
      quiver.url,
    ]);
    expect(run.code, run.stderr).toBe(0);
    // plain progress lines (stderr is not a TTY): the bar, ending full
    const bars = run.stderr.split("\n").filter((l) => /^mig_\w+ {2}\[[#.]{30}\]/.test(l));
    expect(bars.length).toBeGreaterThanOrEqual(2);
    expect(bars.at(-1)).toContain(`[${"#".repeat(30)}]`);
    expect(bars.at(-1)).toContain("(100.0%)");
    expect(run.stderr).not.toContain("\r");

    const [migration] = await client.migrations(id);
    expect(migration.status).toBe("completed");
    const after = await client.statistics(id);
    expect(after.quantization.strategy).toBe("scalar");
    expect((await client.getLibrary(id)).quantization_config).toMatchObject({
      strategy: "scalar",
      calibration_samples: 500,
    });
    const out = run.stdout;
    expect(out).toContain(`migration ${migration.migration_id} of ${id}: completed`);
    expect(out).toMatch(/^strategy\s+none\s+scalar$/m);
    expect(out).toMatch(/^state\s+serving\s+serving$/m);
    expect(out).toMatch(/^vectors\s+4,000\s+4,000$/m);
    expect(out).toMatch(
      new RegExp(`^memory\\s+${before.memory_usage.total}\\s+${after.memory_usage.total}$`, "m"),
    );
    expect(out).toMatch(
      new RegExp(
        `^savings vs float32\\s+${before.memory_usage.savings_vs_float32}\\s+${after.memory_usage.savings_vs_float32}$`,
        "m",
      ),
    );
    expect(out).toMatch(/^duration\s+\d+/m);
    for (const p of migration.partitions) {
      expect(out).toMatch(
        new RegExp(
          `^${p.partition}\\s+${p.shard}\\s+switched\\s+${p.vectors_total.toLocaleString("en")}/`,
          "m",
        ),
      );
    }
  });

  it("--detach prints the migration id; --follow follows it to the end", async () => {
    const id = await library("cli-detach");
    const detached = await quiverMigrate([
      id,
      "--strategy",
      "scalar",
      "--detach",
      "--url",
      quiver.url,
    ]);
    expect(detached.code, detached.stderr).toBe(0);
    const migrationId = detached.stdout.trim();
    expect(migrationId).toMatch(/^mig_[0-9a-f]+$/);
    expect(detached.stderr).toContain(`--follow ${migrationId}`);
    const followed = await quiverMigrate([id, "--follow", migrationId, "--url", quiver.url]);
    expect(followed.code, followed.stderr).toBe(0);
    expect(followed.stdout).toContain(`migration ${migrationId} of ${id}: completed`);
    expect(followed.stdout).toMatch(/^strategy\s+none\s+scalar$/m);
    expect((await client.migration(id, migrationId)).status).toBe("completed");
  });

  it("rejects bad arguments with exit status 2 and says why", async () => {
    const id = await library("cli-bad");
    const cases: [string[], string][] = [
      [[], "the library id is missing"],
      [[id], "say what to do"],
      [[id, "--strategy", "float16"], "--strategy float16 is not one of none, scalar"],
      [
        [id, "--strategy", "scalar", "--config", "{}"],
        "--strategy and --config do not go together",
      ],
      [[id, "--config", "{strategy"], "--config is not JSON"],
      [[id, "--strategy", "scalar", "--verbose"], "Unknown option '--verbose'"],
      // refused by the server: a 400 that names the field
      [[id, "--config", '{"strategy":"product","subvectors":5}'], "quantization_config.subvectors"],
    ];
    const runs = await Promise.all(
      cases.map(([args]) => quiverMigrate([...args, "--url", quiver.url])),
    );
    cases.forEach(([args, message], i) => {
      expect(runs[i].code, args.join(" ")).toBe(2);
      expect(runs[i].stderr, args.join(" ")).toContain(message);
    });
    expect(await client.migrations(id)).toEqual([]);
  });

  it("--cancel of an unknown migration fails with a clear message", async () => {
    const id = await library("cli-cancel");
    const run = await quiverMigrate([id, "--cancel", "mig_nope", "--url", quiver.url]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`quiver: library ${id} has no migration mig_nope`);
  });
});
