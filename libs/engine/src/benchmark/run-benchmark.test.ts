import { describe, expect, it } from "vitest";
import { randomVectors, referenceKnn, vectorOf } from "../test-support/reference.js";
import type { StrategyConfig } from "../build/strategy-config.js";
import type { BenchmarkInput } from "./benchmark-config.js";
import { groundTruth, percentile, runBenchmark } from "./run-benchmark.js";

const DIM = 64;
const N = 3000;
const Q = 60;
const base = randomVectors(N, DIM, 11);
const outside = randomVectors(Q, DIM, 12);

const scalar: StrategyConfig = { strategy: "scalar", bits: 8, calibration_samples: 2000 };
const product: StrategyConfig = {
  strategy: "product",
  subvectors: 16,
  codebook_size: 256,
  training_samples: 2000,
};
const hybrid: StrategyConfig = {
  strategy: "hybrid",
  initial_search: "scalar",
  rerank_top_k: 50,
  bits: 8,
  calibration_samples: 2000,
  subvectors: 16,
  codebook_size: 256,
  training_samples: 2000,
};
const strategies: StrategyConfig[] = [{ strategy: "none" }, scalar, product, hybrid];

function input(overrides: Partial<BenchmarkInput> = {}): BenchmarkInput {
  return {
    base,
    count: N,
    dim: DIM,
    metric: "l2",
    indexType: "hnsw",
    hnsw: { m: 16, efConstruction: 100, efSearch: 200 },
    queries: outside,
    queryCount: Q,
    strategies,
    ...overrides,
  };
}

describe("runBenchmark", () => {
  const progress: number[] = [];
  const rows = runBenchmark(input(), (f) => progress.push(f));

  it("measures every strategy, in the order asked", () => {
    expect(rows.map((r) => r.config)).toEqual(strategies);
    for (const r of rows) {
      expect(r.avgLatencyMs).toBeGreaterThan(0);
      expect(r.p95LatencyMs).toBeGreaterThan(0);
      expect(r.buildSeconds).toBeGreaterThan(0);
      expect(r.bytesPerVector).toBeCloseTo(r.memoryBytes / N, 6);
    }
  });

  it("finds the exact neighbours with float32 vectors and loses little with codes", () => {
    const [none, sq, pq, hy] = rows.map((r) => r.recall);
    expect(none).toBeGreaterThanOrEqual(0.98);
    expect(sq).toBeGreaterThan(0.9);
    expect(pq).toBeLessThan(sq);
    expect(hy).toBeGreaterThanOrEqual(sq - 0.01);
  });

  it("holds less memory as the codes get smaller: none > scalar > product", () => {
    const [none, sq, pq] = rows.map((r) => r.memoryBytes);
    expect(none).toBeGreaterThan(sq);
    expect(sq).toBeGreaterThan(pq);
    // the originals hybrid reranks from stay on disk: it holds what scalar holds, plus scratch
    expect(rows[3].memoryBytes).toBeGreaterThanOrEqual(sq);
    expect(rows[3].memoryBytes).toBeLessThan(sq * 1.2);
  });

  it("builds the codes scalar and hybrid share once", () => {
    expect(rows[3].buildSeconds).toBe(rows[1].buildSeconds);
  });

  it("reports progress that only grows and ends at 1", () => {
    expect(progress.length).toBeGreaterThan(4);
    for (let i = 1; i < progress.length; i++)
      expect(progress[i]).toBeGreaterThanOrEqual(progress[i - 1]);
    expect(progress.at(-1)).toBe(1);
  });

  it("leaves a query taken from the base out of its own truth and results", () => {
    const queryRows = Int32Array.from({ length: 40 }, (_, i) => i * 7);
    const queries = new Float32Array(queryRows.length * DIM);
    queryRows.forEach((row, i) => queries.set(base.subarray(row * DIM, (row + 1) * DIM), i * DIM));
    const loo = input({ queries, queryCount: queryRows.length, queryRows });
    const truth = groundTruth(loo, 10);
    queryRows.forEach((row, q) => {
      const expected = referenceKnn(
        "l2",
        base,
        DIM,
        vectorOf(queries, DIM, q),
        10,
        (id) => id !== row,
      );
      expect([...truth.subarray(q * 10, (q + 1) * 10)]).toEqual(expected);
    });
    // were its own row returned, each query would miss one of its 10 and recall would be <= 0.9
    const [none] = runBenchmark({ ...loo, strategies: [{ strategy: "none" }] });
    expect(none.recall).toBeGreaterThanOrEqual(0.98);
  });

  it("builds flat indexes for a flat library", () => {
    const [none, sq] = runBenchmark(
      input({ indexType: "flat", strategies: [{ strategy: "none" }, scalar] }),
    );
    expect(none.recall).toBe(1);
    expect(sq.recall).toBeGreaterThan(0.9);
  });
});

describe("percentile", () => {
  it("takes the nearest rank", () => {
    const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 0.95)).toBe(95);
    expect(percentile([3], 0.95)).toBe(3);
    expect(percentile([], 0.95)).toBe(0);
  });
});
