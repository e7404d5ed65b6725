import { loadFashionMnist, cachedU32 } from "@quiver/testing";
import { HnswIndex, HybridIndex, InMemoryOriginals, ProductQuantizer, exactNeighbours, recallAtK, FlatIndex } from "../src/index.js";
const N = 20000, Q = 500, K = 10;
const ds = loadFashionMnist();
const dim = ds.dim;
const truth = cachedU32(`gt-fmnist-${N}-1000-l2-k100`, () => exactNeighbours(ds.base, N, ds.queries, 1000, dim, 100, "l2").ids);
const qs = Array.from({ length: Q }, (_, q) => ds.queries.subarray(q * dim, (q + 1) * dim));
for (const it of [4, 8, 12, 20]) {
  const t = performance.now();
  const pq = ProductQuantizer.train(ds.base, N, dim, { maxIterations: it });
  const tt = (performance.now() - t) / 1000;
  const idx = new FlatIndex({ dim, metric: "l2", storage: { kind: "product", quantizer: pq }, capacity: N });
  for (let i = 0; i < N; i++) idx.upsert(i, ds.base.subarray(i * dim, (i + 1) * dim));
  const found = qs.map((q) => idx.search(q, K).ids);
  const found100 = qs.map((q) => idx.search(q, 40).ids);
  // recall@10 of the top-40 candidates (what a rerank of 40 could reach)
  let hits = 0; for (let q = 0; q < Q; q++) { const s = new Set(found100[q]); for (let j = 0; j < K; j++) if (s.has(truth[q * 100 + j])) hits++; }
  console.log(`iters=${it} train=${tt.toFixed(1)}s flat-pq recall@10=${recallAtK(found, truth, 100, K).toFixed(4)} top40-contains=${(hits / (Q * K)).toFixed(4)}`);
}
