import { describe, expect, it } from "vitest";
import { normalized, row, subset } from "./dataset.js";
import { loadFashionMnist } from "./fashion-mnist.js";
import { clusteredGaussian } from "./synthetic.js";

describe("test data", () => {
  it("loads Fashion-MNIST as ann-benchmarks uses it", () => {
    const data = loadFashionMnist();
    expect([data.baseCount, data.queryCount, data.dim, data.metric]).toEqual([
      60_000,
      10_000,
      784,
      "l2",
    ]);
    expect(data.base.length).toBe(60_000 * 784);
    let max = 0;
    for (const v of row(data.base, 784, 0)) max = Math.max(max, v);
    expect(max).toBeLessThanOrEqual(255);
    expect(max).toBeGreaterThan(0);
    const small = subset(data, 100, 5);
    expect([small.baseCount, small.queryCount, small.base.length]).toEqual([100, 5, 100 * 784]);
    const unit = normalized(small);
    const v = row(unit.base, 784, 3);
    expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    expect(unit.metric).toBe("cosine");
  });

  it("generates the same synthetic set for the same seed", () => {
    const a = clusteredGaussian({ baseCount: 50, queryCount: 5, dim: 8, seed: 3 });
    const b = clusteredGaussian({ baseCount: 50, queryCount: 5, dim: 8, seed: 3 });
    const c = clusteredGaussian({ baseCount: 50, queryCount: 5, dim: 8, seed: 4 });
    expect(Array.from(a.base)).toEqual(Array.from(b.base));
    expect(Array.from(a.base)).not.toEqual(Array.from(c.base));
    expect(a.queries.length).toBe(40);
  });

  it("spreads per-dimension scales over 100x in the anisotropic set", () => {
    const data = clusteredGaussian({
      baseCount: 2000,
      queryCount: 1,
      dim: 32,
      seed: 1,
      anisotropic: true,
    });
    const spread = Array.from({ length: 32 }, (_, d) => {
      let s = 0;
      for (let i = 0; i < 2000; i++) s += data.base[i * 32 + d] ** 2;
      return Math.sqrt(s / 2000);
    });
    expect(Math.max(...spread) / Math.min(...spread)).toBeGreaterThan(20);
  });
});
