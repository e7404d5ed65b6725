import { type BenchmarkJobResponse, QuiverClient } from "@quiver/api";
import { silentLogger } from "@quiver/telemetry";
import { type Dataset, loadFashionMnist, row, subset } from "@quiver/testing";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Embedded, startEmbedded } from "./embedded.js";
import { rejection } from "./test-support/benchmark-jobs.js";
import { engineRecalls } from "./test-support/engine-recall.js";

const BASE = 10_000;
const QUERIES = 200;
const repoRoot = resolve(import.meta.dirname, "../../..");

async function createLoaded(client: QuiverClient, name: string, data: Dataset, count: number) {
  const library = await client.createLibrary({ name, dimension: data.dim, metric: "l2" });
  for (let start = 0; start < count; start += 1000) {
    const ids = Array.from({ length: Math.min(1000, count - start) }, (_, i) => start + i);
    await client.upsert(
      library.id,
      ids.map((i) => ({ id: `v${i}`, vector: row(data.base, data.dim, i) })),
      { wait: true },
    );
  }
  return library;
}

describe("quantization benchmark (embedded, Fashion-MNIST)", () => {
  const data = subset(loadFashionMnist(), BASE, QUERIES);
  const dataDir = mkdtempSync(join(tmpdir(), "quiver-bench-"));
  let quiver: Embedded;
  let client: QuiverClient;
  let libraryId: string;

  beforeAll(async () => {
    quiver = await startEmbedded(
      { host: "127.0.0.1", port: 0, dataDir, partitions: 2, logLevel: "silent" },
      silentLogger(),
    );
    client = new QuiverClient({ url: quiver.url });
    libraryId = (await createLoaded(client, "fashion", data, BASE)).id;
  });

  afterAll(async () => {
    await quiver?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("measures every strategy within 0.02 of the engine's own recall on the same data", async () => {
    const queries = Array.from({ length: QUERIES }, (_, q) =>
      Array.from(row(data.queries, data.dim, q)),
    );
    const started = await client.startBenchmark(libraryId, { test_queries: queries });
    expect(started).toMatchObject({ status: "running", progress: 0, library_id: libraryId });
    expect(started.url).toBe(
      `/v1/libraries/${libraryId}/quantization/benchmarks/${started.job_id}`,
    );
    const seen: BenchmarkJobResponse[] = [started];
    let job = started;
    while (job.status === "running") {
      await new Promise((r) => setTimeout(r, 250));
      job = await client.benchmark(libraryId, started.job_id);
      seen.push(job);
    }
    expect(job.error).toBeUndefined();
    expect(job.status).toBe("completed");
    const progress = seen.map((j) => j.progress);
    for (let i = 1; i < progress.length; i++)
      expect(progress[i]).toBeGreaterThanOrEqual(progress[i - 1]);
    expect(progress.filter((p) => p > 0 && p < 1).length).toBeGreaterThan(2);
    expect(progress.at(-1)).toBe(1);
    expect(seen.some((j) => j.status === "running" && j.eta_seconds !== null)).toBe(true);

    expect(job.sample).toMatchObject({
      library_vectors: BASE,
      base_vectors: BASE,
      queries: QUERIES,
      query_source: "request",
      memory_estimated: false,
    });
    expect(job.results.map((r) => r.strategy)).toEqual(["none", "scalar", "product", "hybrid"]);
    const expected = engineRecalls(data.base, BASE, data.queries, QUERIES, data.dim);
    for (const r of job.results) {
      const engine = expected[r.strategy as keyof typeof expected];
      expect(
        Math.abs(r["recall@10"] - engine),
        `${r.strategy}: ${r["recall@10"]} vs ${engine}`,
      ).toBeLessThanOrEqual(0.02);
      expect(r.avg_latency_ms).toBeGreaterThan(0);
      expect(r.p95_latency_ms).toBeGreaterThan(0);
      expect(r.memory_mb).toBeCloseTo(r.memory_bytes / 1e6, 2);
    }
    const [none, scalar, product] = job.results;
    expect(none.memory_bytes).toBeGreaterThan(scalar.memory_bytes);
    expect(scalar.memory_bytes).toBeGreaterThan(product.memory_bytes);
    const recommended = job.results.find((r) => r.strategy === job.recommendation);
    expect(job.recommended_config).toEqual(recommended?.quantization_config);
    expect(job.reason).toContain(`${job.recommendation}: recall@10`);
  });

  it("samples a library larger than sample_size and labels the memory as extrapolated", async () => {
    let job = await client.startBenchmark(libraryId, {
      strategies: ["none", { strategy: "scalar", calibration_samples: 1000 }],
      test_queries: 30,
      sample_size: 2000,
    });
    while (job.status === "running") {
      await new Promise((r) => setTimeout(r, 200));
      job = await client.benchmark(libraryId, job.job_id);
    }
    expect(job.status).toBe("completed");
    expect(job.sample).toMatchObject({
      library_vectors: BASE,
      base_vectors: 2000,
      queries: 30,
      query_source: "library",
      memory_estimated: true,
    });
    expect(job.sample?.note).toContain("extrapolated from a sample of 2000 of 10000");
    for (const r of job.results) {
      expect(r.memory_estimated).toBe(true);
      expect(Math.abs(r.memory_bytes / (r.bytes_per_vector * BASE) - 1)).toBeLessThan(1e-3);
    }
    expect(job.results[1].quantization_config).toEqual({
      strategy: "scalar",
      bits: 8,
      calibration_samples: 1000,
    });
    // a query drawn from the library is left out of its own answers: recall stays near 1
    expect(job.results[0]["recall@10"]).toBeGreaterThan(0.95);
  });

  it("rejects bad requests naming the field, one running job per library, unknown jobs", async () => {
    const unknown = await rejection(
      client.startBenchmark(libraryId, { strategies: ["none", "fancy"] }),
    );
    expect(unknown.status).toBe(400);
    expect(unknown.details.field).toBe("strategies[1].strategy");
    const subvectors = await rejection(
      client.startBenchmark(libraryId, { strategies: [{ strategy: "product", subvectors: 5 }] }),
    );
    expect(subvectors.status).toBe(400);
    expect(subvectors.details.field).toBe("strategies[0].subvectors");
    const adaptive = await rejection(
      client.startBenchmark(libraryId, { strategies: ["adaptive"] }),
    );
    expect(adaptive.details.field).toBe("strategies[0].strategy");
    const short = await rejection(client.startBenchmark(libraryId, { test_queries: [[1, 2, 3]] }));
    expect(short).toMatchObject({ status: 400, code: "DIMENSION_MISMATCH" });
    expect(short.details.field).toBe("test_queries[0]");
    const count = await rejection(client.startBenchmark(libraryId, { test_queries: 0 }));
    expect(count.details.field).toBe("test_queries");
    const size = await rejection(client.startBenchmark(libraryId, { sample_size: 5 }));
    expect(size.details.field).toBe("sample_size");

    const first = await client.startBenchmark(libraryId, {
      strategies: ["none"],
      test_queries: 10,
      sample_size: 500,
    });
    const busy = await rejection(client.startBenchmark(libraryId, { strategies: ["none"] }));
    expect(busy).toMatchObject({ status: 409, code: "BENCHMARK_RUNNING" });
    let job = first;
    while (job.status === "running") job = await client.benchmark(libraryId, first.job_id);
    expect(job.status).toBe("completed");

    const missing = await rejection(client.benchmark(libraryId, "bench_nope"));
    expect(missing.status).toBe(404);
  });

  it("quiver bench shows progress, prints the table and recommendation, writes the chart", async () => {
    const chart = join(dataDir, "bench.svg");
    const run = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "apps/cli/src/main.ts",
        "bench",
        "fashion",
        "--url",
        quiver.url,
        "--strategies",
        "none,scalar,product",
        "--queries",
        "20",
        "--sample",
        "1500",
        "--chart",
        chart,
      ],
      { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    run.stdout.on("data", (b: Buffer) => (stdout += b));
    run.stderr.on("data", (b: Buffer) => (stderr += b));
    const code = await new Promise<number | null>((r) => run.on("exit", r));
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/\[#*\.*\]\s+\d+\.\d%/);
    expect(stderr).toContain("100.0%");
    expect(stdout).toMatch(/strategy\s+memory MB \(est\.\)\s+bytes\/vector\s+recall@10/);
    for (const s of ["none", "scalar", "product"])
      expect(stdout).toMatch(new RegExp(`^${s}( \\*)?\\s+\\d`, "m"));
    expect(stdout).toMatch(/^recommendation: (none|scalar|product)$/m);
    expect(stdout).toContain("extrapolated from a sample of 1500");
    const svg = readFileSync(chart, "utf8");
    expect(svg).toMatch(/^<svg /);
    expect(svg.match(/<circle class="point/g)).toHaveLength(6);
    expect(svg).toContain("(recommended)");
  });
});
