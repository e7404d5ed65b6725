import { loadFashionMnist, subset } from "@quiver/testing";
import { describe, expect, it } from "vitest";
import { exactNeighbours } from "./exact/ground-truth.js";
import { recallAtK } from "./exact/recall.js";
import { HnswIndex } from "./hnsw/hnsw-index.js";
import { HybridIndex } from "./hybrid/hybrid-index.js";
import { InMemoryOriginals } from "./hybrid/originals-source.js";
import { ProductQuantizer } from "./quantization/product-quantizer.js";
import { ScalarQuantizer } from "./quantization/scalar-quantizer.js";
import type { StoreSpec } from "./storage/create-store.js";
import type { VectorIndex } from "./vector-index.js";

// Recall floors at the default settings on a small real subset of Fashion-MNIST (the full-size
// figures and the speed comparison live in `npm run bench:ann`).
const data = subset(loadFashionMnist(), 5000, 200);
const { dim, base, queries, baseCount, queryCount } = data;
const truth = exactNeighbours(base, baseCount, queries, queryCount, dim, 10, "l2").ids;
const originals = new InMemoryOriginals(dim, baseCount);
for (let i = 0; i < baseCount; i++) originals.set(i, base.subarray(i * dim, (i + 1) * dim));

function hnsw(storage: StoreSpec): HnswIndex {
  // as bench:ann does: PQ links are chosen on the originals
  const build = storage.kind === "product" ? originals : undefined;
  const index = new HnswIndex({
    dim,
    metric: "l2",
    storage,
    capacity: baseCount,
    originals: build,
  });
  for (let i = 0; i < baseCount; i++) index.upsert(i, base.subarray(i * dim, (i + 1) * dim));
  return index;
}

function recall(index: VectorIndex): number {
  const found = [];
  for (let q = 0; q < queryCount; q++)
    found.push(index.search(queries.subarray(q * dim, (q + 1) * dim), 10).ids);
  return recallAtK(found, truth, 10, 10);
}

describe("recall@10 at default settings, Fashion-MNIST 5,000 x 200", () => {
  const scalar: StoreSpec = {
    kind: "scalar",
    quantizer: ScalarQuantizer.train(base, baseCount, dim),
  };
  const product: StoreSpec = {
    kind: "product",
    quantizer: ProductQuantizer.train(base, baseCount, dim),
  };

  it("none >= 0.99", () => {
    expect(recall(hnsw({ kind: "f32" }))).toBeGreaterThanOrEqual(0.99);
  });

  it("scalar >= 0.97 and hybrid(scalar) >= 0.99", () => {
    const index = hnsw(scalar);
    expect(recall(index)).toBeGreaterThanOrEqual(0.97);
    expect(recall(new HybridIndex({ quantized: index, originals }))).toBeGreaterThanOrEqual(0.99);
  });

  it("hybrid(product) >= 0.95, above product alone", () => {
    const index = hnsw(product);
    const alone = recall(index);
    const hybrid = recall(new HybridIndex({ quantized: index, originals }));
    expect(hybrid).toBeGreaterThanOrEqual(0.95);
    expect(hybrid).toBeGreaterThan(alone);
  });
});
