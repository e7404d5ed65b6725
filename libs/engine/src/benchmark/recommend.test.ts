import { describe, expect, it } from "vitest";
import { DEFAULT_TARGET_RECALL, recommend, type RecommendationRow } from "./recommend.js";

const row = (strategy: string, mb: number, recall: number, p95 = 1): RecommendationRow => ({
  strategy,
  memoryBytes: mb * 1e6,
  recall,
  p95LatencyMs: p95,
});

const fashion = [
  row("none", 197, 0.998, 0.3),
  row("scalar", 56, 0.996, 0.15),
  row("product", 15.7, 0.822, 0.11),
  row("hybrid", 56.2, 0.998, 0.3),
];

describe("recommend", () => {
  it("picks the least memory that reaches the target, naming what is smaller but misses it", () => {
    const r = recommend({ rows: fashion, targetRecall: DEFAULT_TARGET_RECALL });
    expect(r).toMatchObject({ strategy: "scalar", index: 1 });
    expect(r.reason).toBe(
      "scalar: recall@10 0.996 >= target 0.950 at 28% of float32's memory (56.0 MB); " +
        "lowest p95 latency (0.15 ms) of the strategies within 5% of its memory; " +
        "product is smaller but reaches only 0.822",
    );
  });

  it("breaks a memory tie (within 5%) by the lower p95 latency", () => {
    const rows = [
      row("none", 200, 0.999),
      row("scalar", 50, 0.97, 0.4),
      row("hybrid", 52, 0.99, 0.2),
    ];
    const r = recommend({ rows, targetRecall: 0.95 });
    expect(r.strategy).toBe("hybrid");
    expect(r.reason).toContain("lowest p95 latency (0.20 ms)");
  });

  it("does not count a strategy more than 5% larger as tied", () => {
    const rows = [row("scalar", 50, 0.97, 0.4), row("hybrid", 53, 0.99, 0.2)];
    expect(recommend({ rows, targetRecall: 0.95 }).strategy).toBe("scalar");
  });

  it("follows a higher target to a larger strategy", () => {
    const rows = [row("none", 200, 0.999), row("scalar", 50, 0.97), row("product", 15, 0.9)];
    const r = recommend({ rows, targetRecall: 0.99 });
    expect(r.strategy).toBe("none");
    expect(r.reason).toContain("scalar is smaller but reaches only 0.970");
    expect(r.reason).toContain("product is smaller but reaches only 0.900");
  });

  it("recommends the highest recall when none reaches the target", () => {
    const rows = [row("scalar", 50, 0.9), row("product", 15, 0.8), row("hybrid", 51, 0.93)];
    const r = recommend({ rows, targetRecall: 0.99 });
    expect(r).toMatchObject({ strategy: "hybrid", index: 2 });
    expect(r.reason).toBe(
      "no strategy reaches the target recall@10 0.990; hybrid comes closest with 0.930 at 51.0 MB",
    );
  });

  it("prefers less memory between equal recalls below the target", () => {
    const rows = [row("none", 200, 0.9), row("hybrid", 51, 0.9)];
    expect(recommend({ rows, targetRecall: 0.99 }).strategy).toBe("hybrid");
  });

  it("leaves out what does not fit the memory budget", () => {
    const r = recommend({ rows: fashion, targetRecall: 0.95, memoryBudgetBytes: 30e6 });
    expect(r.strategy).toBe("product");
    expect(r.reason).toContain("no strategy within the budget of 30.0 MB reaches the target");
  });

  it("recommends the smallest when nothing fits the budget", () => {
    const r = recommend({ rows: fashion, targetRecall: 0.95, memoryBudgetBytes: 1e6 });
    expect(r.strategy).toBe("product");
    expect(r.reason).toBe(
      "no strategy fits the memory budget of 1.00 MB; product needs the least, 15.7 MB, with recall@10 0.822",
    );
  });

  it("says within the budget when the choice fits one", () => {
    const r = recommend({ rows: fashion, targetRecall: 0.95, memoryBudgetBytes: 100e6 });
    expect(r.strategy).toBe("scalar");
    expect(r.reason).toContain("within the budget of 100.0 MB");
  });

  it("refuses an empty list", () => {
    expect(() => recommend({ rows: [], targetRecall: 0.95 })).toThrow(RangeError);
  });
});
