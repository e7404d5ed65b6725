import {
  exactNeighbours,
  HnswIndex,
  HybridIndex,
  InMemoryOriginals,
  ProductQuantizer,
  recallAtK,
  ScalarQuantizer,
  type StoreSpec,
} from "@quiver/engine";

/**
 * recall@10 (l2) of none, scalar, product and hybrid (scalar codes) at the engine's defaults, built
 * with the engine directly as bench:ann builds them: an independent check of the benchmark
 * endpoint, which builds them its own way from the vectors the shards sample.
 */
export function engineRecalls(
  base: Float32Array,
  count: number,
  queries: Float32Array,
  queryCount: number,
  dim: number,
): Record<"none" | "scalar" | "product" | "hybrid", number> {
  const k = 10;
  const metric = "l2";
  const truth = exactNeighbours(base, count, queries, queryCount, dim, k, metric).ids;
  const originals = new InMemoryOriginals(dim, count);
  for (let i = 0; i < count; i++) originals.set(i, base.subarray(i * dim, (i + 1) * dim));
  const recall = (search: (q: Float32Array) => Uint32Array) => {
    const found: Uint32Array[] = [];
    for (let q = 0; q < queryCount; q++)
      found.push(search(queries.subarray(q * dim, (q + 1) * dim)));
    return recallAtK(found, truth, k, k);
  };
  const build = (storage: StoreSpec) => {
    const index = new HnswIndex({
      dim,
      metric,
      storage,
      capacity: count,
      originals: storage.kind === "product" ? originals : undefined,
    });
    for (let i = 0; i < count; i++) index.upsert(i, base.subarray(i * dim, (i + 1) * dim));
    return index;
  };
  const none = build({ kind: "f32" });
  const noneRecall = recall((q) => none.search(q, k).ids);
  const scalar = build({
    kind: "scalar",
    quantizer: ScalarQuantizer.train(base, Math.min(count, 10_000), dim),
  });
  const hybrid = new HybridIndex({ quantized: scalar, originals });
  const product = build({
    kind: "product",
    quantizer: ProductQuantizer.train(base, Math.min(count, 50_000), dim),
  });
  return {
    none: noneRecall,
    scalar: recall((q) => scalar.search(q, k).ids),
    product: recall((q) => product.search(q, k).ids),
    hybrid: recall((q) => hybrid.search(q, k).ids),
  };
}
