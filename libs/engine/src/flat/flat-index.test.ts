import { describe, expect, it } from "vitest";
import { EngineErrorCode, isEngineError } from "../errors.js";
import { METRICS } from "../metric.js";
import { ProductQuantizer } from "../quantization/product-quantizer.js";
import { randomVectors, referenceKnn, vectorOf } from "../test-support/reference.js";
import { FlatIndex } from "./flat-index.js";

const DIM = 10;
const N = 700;
const data = randomVectors(N + 20, DIM, 21);
const queries = Array.from({ length: 20 }, (_, i) => vectorOf(data, DIM, N + i));

function build(metric: (typeof METRICS)[number]) {
  const index = new FlatIndex({ dim: DIM, metric });
  for (let i = 0; i < N; i++) index.upsert(i, vectorOf(data, DIM, i));
  return index;
}

describe("FlatIndex", () => {
  it.each(METRICS)("returns the exact neighbours (%s)", (metric) => {
    const index = build(metric);
    for (const q of queries) {
      expect(Array.from(index.search(q, 10).ids)).toEqual(
        referenceKnn(metric, data.subarray(0, N * DIM), DIM, q, 10),
      );
    }
  });

  it("skips deleted ids and filtered ids", () => {
    const index = build("l2");
    for (let id = 0; id < N; id += 2) index.delete(id);
    expect(index.size).toBe(N / 2);
    const keep = (id: number) => id % 2 === 1 && id % 3 === 0;
    for (const q of queries) {
      const got = Array.from(index.search(q, 5, { filter: (id) => id % 3 === 0 }).ids);
      expect(got).toEqual(referenceKnn("l2", data.subarray(0, N * DIM), DIM, q, 5, keep));
    }
  });

  it("snapshots round-trip, quantized stores included", () => {
    const pq = ProductQuantizer.train(data, N, DIM, { subvectors: 5, codebookSize: 32 });
    const index = new FlatIndex({
      dim: DIM,
      metric: "dot",
      storage: { kind: "product", quantizer: pq },
    });
    for (let i = 0; i < N; i++) index.upsert(i, vectorOf(data, DIM, i));
    index.delete(5);
    const restored = FlatIndex.deserialize(index.serialize());
    expect(restored.size).toBe(N - 1);
    for (const q of queries) {
      const a = index.search(q, 8);
      expect(Array.from(restored.search(q, 8).ids)).toEqual(Array.from(a.ids));
    }
  });

  it("rejects a vector of the wrong dimension", () => {
    const index = build("l2");
    try {
      index.upsert(1, [1, 2, 3]);
      throw new Error("accepted");
    } catch (error) {
      expect(isEngineError(error, EngineErrorCode.DimensionMismatch)).toBe(true);
      expect((error as Error).message).toBe("vector: expected 10 components, got 3");
    }
  });
});
