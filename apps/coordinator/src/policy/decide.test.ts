import type { ConcreteQuantizationConfig } from "@quiver/events";
import { describe, expect, it } from "vitest";
import { decide, LADDER, type PolicyInputs, rungOf } from "./decide.js";

const DIM = 128;
const N = 1_000_000;
const GRAPH = 100e6; // graph, metadata and the rest: unchanged by a migration
const NONE: ConcreteQuantizationConfig = { strategy: "none" };

/** What a library of N vectors holds on a rung (codes + the rest). */
function footprint(rung: number, wobble = 1): PolicyInputs {
  const codesBytes = N * LADDER[rung].codeBytes(DIM) * wobble;
  return { dimension: DIM, vectors: N, bytes: GRAPH + codesBytes, codesBytes };
}

const name = (c: ConcreteQuantizationConfig) => LADDER[rungOf(c)].name;

describe("the adaptive policy's rule", () => {
  it("stays within budget and compacts to the most precise strategy that fits when over it", () => {
    // none: 512 MB of float32 + 100 MB
    expect(decide(NONE, footprint(0), { maxMemoryBytes: 1e9, targetAccuracy: 0.95 }).change).toBe(
      false,
    );
    const over = decide(NONE, footprint(0), { maxMemoryBytes: 0.5e9, targetAccuracy: 0.95 });
    expect(over.change).toBe(true);
    expect(name(over.to)).toBe("hybrid-scalar"); // 228 MB < 450 MB
    expect(over.reason).toContain("over its budget");
    const far = decide(NONE, footprint(0), { maxMemoryBytes: 0.2e9, targetAccuracy: 0.95 });
    expect(name(far.to)).toBe("hybrid-product"); // 116 MB < 180 MB; hybrid-scalar's 228 MB is not
    const hopeless = decide(NONE, footprint(0), { maxMemoryBytes: 0.05e9, targetAccuracy: 0.95 });
    expect(name(hopeless.to)).toBe("hybrid-product");
    expect(hopeless.reason).toContain("no strategy is estimated under");
  });

  it("moves one step more precise when measured recall is below target, if it fits", () => {
    const product = LADDER[2].config(DIM, 50_000, 0);
    const low = { ...footprint(2), recallAt10: 0.9 };
    const up = decide(product, low, { maxMemoryBytes: 1e9, targetAccuracy: 0.97 });
    expect(name(up.to)).toBe("hybrid-scalar");
    expect(up.reason).toContain("below the target");
    // hybrid-scalar would need 228 MB, over 70% of a 0.3 GB budget
    const cramped = decide(product, low, { maxMemoryBytes: 0.3e9, targetAccuracy: 0.97 });
    expect(cramped.change).toBe(false);
    expect(cramped.reason).toContain("over 70% of the budget");
    // within the band: no move
    const close = decide(
      product,
      { ...footprint(2), recallAt10: 0.965 },
      {
        maxMemoryBytes: 0.3e9,
        targetAccuracy: 0.97,
      },
    );
    expect(close.change).toBe(false);
  });

  it("goes back to a more precise strategy only when it fits well under the budget", () => {
    const scalar = LADDER[1].config(DIM, 50_000, 0);
    // none would hold 612 MB: under 70% of 1 GB
    expect(
      name(decide(scalar, footprint(1), { maxMemoryBytes: 1e9, targetAccuracy: 0.9 }).to),
    ).toBe("none");
    // 612 MB is over 70% of 0.8 GB (560 MB), though under the budget: stay
    expect(
      decide(scalar, footprint(1), { maxMemoryBytes: 0.8e9, targetAccuracy: 0.9 }).change,
    ).toBe(false);
  });

  it("sizes hybrid's float32 cache from the budget and counts it full, as it will fill", () => {
    const d = decide(
      NONE,
      { ...footprint(0), replicas: 2 },
      {
        maxMemoryBytes: 0.5e9,
        targetAccuracy: 0.95,
      },
    );
    // 5% of 0.5 GB over 2 replicas: 12 MB each
    expect(d.to).toMatchObject({ strategy: "hybrid", float32_cache_mb: 12 });
    expect(d.estimates["hybrid-scalar"]).toBe(GRAPH + N * DIM + 24e6);
    // a hybrid library measured with a half-full cache is estimated with the full one
    const current = d.to;
    const now = { ...footprint(1), cacheBytes: 5e6, bytes: footprint(1).bytes + 5e6, replicas: 2 };
    const again = decide(current, now, { maxMemoryBytes: 0.5e9, targetAccuracy: 0.95 });
    expect(again.estimates["hybrid-scalar"]).toBe(GRAPH + N * DIM + 24e6);
    expect(again.change).toBe(false);
  });

  it("compacts one step under shard memory pressure", () => {
    const d = decide(
      NONE,
      { ...footprint(0), shardPressure: 0.95 },
      {
        maxMemoryBytes: 10e9,
        targetAccuracy: 0.9,
      },
    );
    expect(name(d.to)).toBe("hybrid-scalar");
    expect(d.reason).toContain("95% of its memory limit");
  });

  it("does not flap when its inputs oscillate around the thresholds", () => {
    // The footprint wobbles by +-6% around the budget, recall around the target, pressure around 90%.
    for (const budget of [0.58e9, 0.61e9, 0.65e9, 0.2e9, 0.17e9, 0.3e9]) {
      let current: ConcreteQuantizationConfig = NONE;
      const changes: string[] = [];
      for (let tick = 0; tick < 200; tick++) {
        const wobble = 1 + 0.06 * Math.sin(tick * 0.7);
        const inputs = {
          ...footprint(rungOf(current), wobble),
          recallAt10: 0.95 + 0.008 * Math.sin(tick * 1.3),
          shardPressure: 0.85 + 0.04 * Math.sin(tick * 0.9),
        };
        const d = decide(current, inputs, { maxMemoryBytes: budget, targetAccuracy: 0.95 });
        if (d.change) {
          changes.push(`${tick}: ${name(current)} -> ${name(d.to)}`);
          current = d.to;
        }
      }
      // at most the one move the budget calls for, never back and forth
      expect(changes.length, `${budget}: ${changes.join(", ")}`).toBeLessThanOrEqual(1);
    }
  });
});
