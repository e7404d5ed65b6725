import { describe, expect, it } from "vitest";
import type { KernelMemory } from "../kernels/kernel-memory.js";
import { METRICS, type Metric } from "../metric.js";
import { ProductQuantizer } from "../quantization/product-quantizer.js";
import { ScalarQuantizer } from "../quantization/scalar-quantizer.js";
import { randomVectors, referenceDistance, vectorOf } from "../test-support/reference.js";
import { normalizeInPlace } from "../vector-checks.js";
import { createStore, type StoreSpec } from "./create-store.js";
import type { VectorStore } from "./vector-store.js";
import { KernelWorkspace } from "../workspace/kernel-workspace.js";

const COUNT = 50;

function fill(store: VectorStore, data: Float32Array, dim: number): void {
  store.reserve(COUNT);
  for (let i = 0; i < COUNT; i++) store.set(i, vectorOf(data, dim, i));
}

/** Scores ids 0..COUNT-1 against the prepared query through the batch kernel. */
function scoreAll(
  store: VectorStore,
  mem: KernelMemory,
  idsPtr: number,
  outPtr: number,
): Float32Array {
  for (let i = 0; i < COUNT; i++) mem.u32[(idsPtr >>> 2) + i] = (i * 7) % COUNT; // scattered order
  store.score(idsPtr, COUNT, outPtr);
  const out = new Float32Array(COUNT);
  for (let i = 0; i < COUNT; i++) out[(i * 7) % COUNT] = mem.f32[(outPtr >>> 2) + i];
  return out;
}

function dataFor(metric: Metric, dim: number, seed: number): Float32Array {
  const data = randomVectors(COUNT + 1, dim, seed, 3);
  if (metric === "cosine")
    for (let i = 0; i <= COUNT; i++) normalizeInPlace(vectorOf(data, dim, i), dim);
  return data;
}

function setup(dim: number, metric: Metric, spec: StoreSpec) {
  const home = new KernelWorkspace().open();
  const store = createStore(home, dim, metric, spec);
  const mem = home.mem;
  const idsPtr = mem.alloc(COUNT * 4);
  const outPtr = mem.alloc(COUNT * 4);
  const slotPtr = mem.alloc(Math.ceil(dim / 16) * 64);
  return { mem, store, idsPtr, outPtr, slotPtr };
}

describe.each(METRICS)("stores, metric %s", (metric) => {
  describe.each([3, 16, 37, 100])("dimension %i", (dim) => {
    const data = dataFor(metric, dim, dim * 31 + metric.length);
    const query = vectorOf(data, dim, COUNT);

    it("float32 store scores exactly", () => {
      const { mem, store, idsPtr, outPtr } = setup(dim, metric, { kind: "f32" });
      fill(store, data, dim);
      store.setQuery(query);
      const got = scoreAll(store, mem, idsPtr, outPtr);
      for (let i = 0; i < COUNT; i++) {
        const want = referenceDistance(metric, query, vectorOf(data, dim, i));
        expect(got[i]).toBeCloseTo(want, 3);
      }
      const back = new Float32Array(dim);
      store.read(7, back);
      expect(Array.from(back)).toEqual(Array.from(vectorOf(data, dim, 7)));
    });

    it("scalar store scores the reconstruction without decoding", () => {
      const quantizer = ScalarQuantizer.train(data, COUNT, dim, { quantile: 1 });
      const { mem, store, idsPtr, outPtr, slotPtr } = setup(dim, metric, {
        kind: "scalar",
        quantizer,
      });
      fill(store, data, dim);
      store.setQuery(query);
      const got = scoreAll(store, mem, idsPtr, outPtr);
      const decoded = new Float32Array(dim);
      const codes = new Uint8Array(dim);
      for (let i = 0; i < COUNT; i++) {
        const original = vectorOf(data, dim, i);
        quantizer.encode(original, codes);
        quantizer.decode(codes, decoded);
        for (let d = 0; d < dim; d++) {
          expect(Math.abs(decoded[d] - original[d])).toBeLessThanOrEqual(
            quantizer.step[d] / 2 + 1e-6,
          );
        }
        // cosine scores the reconstruction as it is, not as if it were of unit length
        const want = referenceDistance(metric, query, decoded);
        store.read(i, decoded); // for cosine, scaled back to unit length
        // i16 rounding of the query weights: error relative to the scale of the terms
        expect(Math.abs(got[i] - want)).toBeLessThan(
          2e-3 * (1 + Math.abs(want)) * (metric === "l2" ? dim : 1),
        );
        // the kernel's decoding agrees with the quantizer's
        const at = store.floatOf(i, slotPtr) >>> 2;
        for (let d = 0; d < dim; d++) expect(mem.f32[at + d]).toBeCloseTo(decoded[d], 5);
      }
    });

    it("product store scores the lookup table and decodes the codebooks", () => {
      const subvectors = dim % 2 === 0 ? dim / 2 : dim;
      const quantizer = ProductQuantizer.train(data, COUNT, dim, { subvectors, codebookSize: 16 });
      const { mem, store, idsPtr, outPtr, slotPtr } = setup(dim, metric, {
        kind: "product",
        quantizer,
      });
      fill(store, data, dim);
      store.setQuery(query);
      const got = scoreAll(store, mem, idsPtr, outPtr);
      const decoded = new Float32Array(dim);
      for (let i = 0; i < COUNT; i++) {
        store.read(i, decoded); // for cosine, scaled back to unit length
        expect(got[i]).toBeCloseTo(referenceDistance(metric, query, decoded), 3);
        const at = store.floatOf(i, slotPtr) >>> 2;
        for (let d = 0; d < dim; d++) expect(mem.f32[at + d]).toBe(decoded[d]);
      }
    });
  });
});

describe("product store encoding", () => {
  it("assigns each subvector its nearest centroid", () => {
    const dim = 12;
    const data = randomVectors(300, dim, 5);
    const quantizer = ProductQuantizer.train(data, 300, dim, { subvectors: 4, codebookSize: 32 });
    const { store } = setup(dim, "l2", { kind: "product", quantizer });
    store.reserve(1);
    const v = vectorOf(data, dim, 123);
    store.set(0, v);
    const decoded = new Float32Array(dim);
    store.read(0, decoded);
    for (let s = 0; s < 4; s++) {
      const part = v.subarray(s * 3, s * 3 + 3);
      let best = Infinity;
      for (let j = 0; j < quantizer.centroidCount; j++) {
        const c = quantizer.centroids.subarray(
          (s * quantizer.centroidCount + j) * 3,
          (s * quantizer.centroidCount + j + 1) * 3,
        );
        best = Math.min(best, referenceDistance("l2", part, c));
      }
      expect(referenceDistance("l2", part, decoded.subarray(s * 3, s * 3 + 3))).toBeCloseTo(
        best,
        5,
      );
    }
  });
});
