import { loadFashionMnist, cachedU32 } from "@quiver/testing";
import { HnswIndex, HybridIndex, InMemoryOriginals, ProductQuantizer, ScalarQuantizer, exactNeighbours, recallAtK, type VectorIndex } from "../src/index.js";
const N = Number(process.env.N ?? 60000), Q = 1000, K = 10;
const ds = loadFashionMnist();
const dim = ds.dim;
const truth = cachedU32(`gt-fmnist-${N}-${Q}-l2-k100`, () => exactNeighbours(ds.base, N, ds.queries, Q, dim, 100, "l2").ids);
const qs = Array.from({ length: Q }, (_, q) => ds.queries.subarray(q * dim, (q + 1) * dim));
const which = (process.env.S ?? "scalar,product").split(",");
const originals = new InMemoryOriginals(dim, N);
for (let i = 0; i < N; i++) originals.set(i, ds.base.subarray(i * dim, (i + 1) * dim));
function run(name: string, idx: VectorIndex, opts: object[]) {
  for (const o of opts) {
    const t0 = performance.now();
    const found = qs.map((q) => idx.search(q, K, o).ids);
    const qps = Q / ((performance.now() - t0) / 1000);
    console.log(name, JSON.stringify(o), "recall", recallAtK(found, truth, 100, K).toFixed(4), "qps", qps.toFixed(0));
  }
}
for (const s of which) {
  let t = performance.now();
  const storage = s === "scalar"
    ? { kind: "scalar" as const, quantizer: ScalarQuantizer.train(ds.base, Math.min(N, 10000), dim) }
    : { kind: "product" as const, quantizer: ProductQuantizer.train(ds.base, Math.min(N, Number(process.env.TS ?? 50000)), dim, {}) };
  const train = (performance.now() - t) / 1000;
  t = performance.now();
  const idx = new HnswIndex({ dim, metric: "l2", storage, capacity: N });
  for (let i = 0; i < N; i++) idx.upsert(i, ds.base.subarray(i * dim, (i + 1) * dim));
  const build = (performance.now() - t) / 1000;
  const mu = idx.memoryUsage();
  console.log(s, "train", train.toFixed(1), "build", build.toFixed(1), "bytes/vec", (mu.total / N).toFixed(1), JSON.stringify(mu));
  run(s, idx, [{ ef: 10 }, { ef: 20 }, { ef: 40 }, { ef: 80 }]);
  const hy = new HybridIndex({ quantized: idx, originals });
  run("hybrid-" + s, hy, [{ ef: 10, rerankTopK: 10 }, { ef: 20, rerankTopK: 20 }, { ef: 40, rerankTopK: 20 }, { ef: 40, rerankTopK: 40 }, { ef: 100, rerankTopK: 100 }]);
}
