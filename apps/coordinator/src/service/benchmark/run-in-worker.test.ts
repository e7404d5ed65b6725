import { Rng } from "@quiver/engine";
import { describe, expect, it } from "vitest";
import { runBenchmarkInWorker } from "./run-in-worker.js";

function vectors(count: number, dim: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: count * dim }, () => rng.next());
}

describe("runBenchmarkInWorker", () => {
  it("runs the benchmark in a worker thread, reporting progress and moving the vectors", async () => {
    const base = vectors(1500, 16, 1);
    const queries = vectors(20, 16, 2);
    const progress: number[] = [];
    const rows = await runBenchmarkInWorker(
      {
        base,
        count: 1500,
        dim: 16,
        metric: "l2",
        indexType: "hnsw",
        hnsw: { m: 16, efConstruction: 100, efSearch: 64 },
        queries,
        queryCount: 20,
        strategies: [
          { strategy: "none" },
          { strategy: "scalar", bits: 8, calibration_samples: 1000 },
        ],
      },
      (f) => progress.push(f),
    );
    expect(rows.map((r) => r.config.strategy)).toEqual(["none", "scalar"]);
    expect(rows[0].recall).toBeGreaterThan(0.95);
    expect(progress.at(-1)).toBe(1);
    expect(base.length).toBe(0); // transferred, not copied
  });

  it("rejects with the runner's error", async () => {
    await expect(
      runBenchmarkInWorker(
        {
          base: new Float32Array(32),
          count: 2,
          dim: 16,
          metric: "l2",
          indexType: "hnsw",
          hnsw: { m: 1, efConstruction: 100, efSearch: 64 },
          queries: new Float32Array(16),
          queryCount: 1,
          strategies: [{ strategy: "none" }],
        },
        () => {},
      ),
    ).rejects.toThrow(/m/);
  });
});
