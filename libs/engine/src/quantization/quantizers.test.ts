import { describe, expect, it } from "vitest";
import { EngineErrorCode, isEngineError } from "../errors.js";
import { Rng } from "../random.js";
import { randomVectors } from "../test-support/reference.js";
import { defaultSubvectors, ProductQuantizer } from "./product-quantizer.js";
import { ScalarQuantizer } from "./scalar-quantizer.js";

function expectEngineError(fn: () => unknown, code: string, messagePart: string): void {
  try {
    fn();
  } catch (error) {
    expect(isEngineError(error)).toBe(true);
    expect((error as { code: string }).code).toBe(code);
    expect((error as Error).message).toContain(messagePart);
    return;
  }
  throw new Error("expected an EngineError");
}

describe("ScalarQuantizer", () => {
  it("learns per-dimension ranges and clamps values outside them", () => {
    // dimension 0 spans [0, 10], dimension 1 spans [-1000, 1000]
    const samples = new Float32Array([0, -1000, 5, 0, 10, 1000]);
    const q = ScalarQuantizer.train(samples, 3, 2, { quantile: 1 });
    expect(Array.from(q.lo)).toEqual([0, -1000]);
    expect(q.step[0]).toBeCloseTo(10 / 255, 6);
    expect(q.step[1]).toBeCloseTo(2000 / 255, 3);
    const codes = new Uint8Array(2);
    q.encode(new Float32Array([20, -5000]), codes);
    expect(Array.from(codes)).toEqual([255, 0]);
    q.encode(new Float32Array([5, 0]), codes);
    const back = new Float32Array(2);
    q.decode(codes, back);
    expect(back[0]).toBeCloseTo(5, 1);
    expect(Math.abs(back[1])).toBeLessThanOrEqual(q.step[1] / 2 + 1e-3);
  });

  it("keeps outliers from stretching the range when a quantile is set", () => {
    const rng = new Rng(3);
    const n = 10_000;
    const samples = new Float32Array(n);
    for (let i = 0; i < n; i++) samples[i] = rng.next();
    samples[17] = 1e6; // one outlier
    const full = ScalarQuantizer.train(samples, n, 1, { quantile: 1 });
    const clipped = ScalarQuantizer.train(samples, n, 1, { quantile: 0.999 });
    expect(full.step[0]).toBeGreaterThan(1000);
    expect(clipped.step[0]).toBeLessThan(1.01 / 255);
  });

  it("round-trips through its serialized form", () => {
    const data = randomVectors(100, 9, 1);
    const q = ScalarQuantizer.train(data, 100, 9);
    const r = ScalarQuantizer.deserialize(q.serialize(), 9);
    expect(Array.from(r.lo)).toEqual(Array.from(q.lo));
    expect(Array.from(r.step)).toEqual(Array.from(q.step));
  });

  it("rejects empty calibration sets and unsupported bits with typed errors", () => {
    expectEngineError(
      () => ScalarQuantizer.train(new Float32Array(0), 0, 4),
      EngineErrorCode.EmptyTrainingSet,
      "at least one",
    );
    expectEngineError(
      () => ScalarQuantizer.train(new Float32Array(8), 2, 4, { bits: 4 }),
      EngineErrorCode.InvalidConfig,
      "bits",
    );
    expectEngineError(
      () => ScalarQuantizer.train(new Float32Array(8), 2, 4, { quantile: 0.2 }),
      EngineErrorCode.InvalidConfig,
      "quantile",
    );
  });
});

describe("ProductQuantizer", () => {
  it("finds well-separated clusters exactly", () => {
    // 4 clusters per 2-d subvector, tiny noise: every point must decode next to its cluster centre
    const dim = 4;
    const centres = [
      [0, 0],
      [10, 0],
      [0, 10],
      [10, 10],
    ];
    const rng = new Rng(9);
    const n = 400;
    const data = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) {
      for (let s = 0; s < 2; s++) {
        const c = centres[rng.int(4)];
        data[i * dim + s * 2] = c[0] + rng.normal() * 0.01;
        data[i * dim + s * 2 + 1] = c[1] + rng.normal() * 0.01;
      }
    }
    const pq = ProductQuantizer.train(data, n, dim, { subvectors: 2, codebookSize: 4, seed: 5 });
    const codes = new Uint8Array(2);
    const back = new Float32Array(dim);
    const v = new Float32Array(dim);
    for (let i = 0; i < n; i += 37) {
      v.set(data.subarray(i * dim, (i + 1) * dim));
      // nearest-centroid encoding through decode of the arg-min code
      for (let s = 0; s < 2; s++) {
        let best = 0;
        let bestD = Infinity;
        for (let j = 0; j < 4; j++) {
          const c = pq.centroids.subarray((s * 4 + j) * 2, (s * 4 + j + 1) * 2);
          const d = (v[s * 2] - c[0]) ** 2 + (v[s * 2 + 1] - c[1]) ** 2;
          if (d < bestD) {
            bestD = d;
            best = j;
          }
        }
        codes[s] = best;
      }
      pq.decode(codes, back);
      for (let d = 0; d < dim; d++) expect(Math.abs(back[d] - v[d])).toBeLessThan(0.1);
    }
  });

  it("is deterministic for a seed and round-trips through its serialized form", () => {
    const data = randomVectors(500, 8, 2);
    const a = ProductQuantizer.train(data, 500, 8, { subvectors: 4, codebookSize: 16, seed: 7 });
    const b = ProductQuantizer.train(data, 500, 8, { subvectors: 4, codebookSize: 16, seed: 7 });
    expect(Array.from(a.centroids)).toEqual(Array.from(b.centroids));
    const r = ProductQuantizer.deserialize(a.serialize(), 8);
    expect(Array.from(r.centroids)).toEqual(Array.from(a.centroids));
    expect(r.subvectors).toBe(4);
  });

  it("trains fewer centroids than the codebook size when samples are few", () => {
    const data = randomVectors(10, 8, 3);
    const pq = ProductQuantizer.train(data, 10, 8, { subvectors: 2 });
    expect(pq.centroidCount).toBe(10);
  });

  it("defaults to one subvector per 8 dimensions, or the nearest divisor", () => {
    expect(defaultSubvectors(784)).toBe(98);
    expect(defaultSubvectors(384)).toBe(48);
    expect(defaultSubvectors(100)).toBe(10);
    expect(defaultSubvectors(7)).toBe(1);
  });

  it("rejects subvectors that do not divide the dimension, bad codebook sizes and empty sets", () => {
    const data = randomVectors(10, 10, 4);
    expectEngineError(
      () => ProductQuantizer.train(data, 10, 10, { subvectors: 3 }),
      EngineErrorCode.InvalidConfig,
      "subvectors: 3 does not divide the dimension 10",
    );
    expectEngineError(
      () => ProductQuantizer.train(data, 10, 10, { codebookSize: 300 }),
      EngineErrorCode.InvalidConfig,
      "codebook_size",
    );
    expectEngineError(
      () => ProductQuantizer.train(data, 0, 10),
      EngineErrorCode.EmptyTrainingSet,
      "at least one",
    );
  });
});
