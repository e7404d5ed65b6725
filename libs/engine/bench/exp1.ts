import { loadFashionMnist, cachedU32 } from "@quiver/testing";
import { HnswIndex, exactNeighbours, recallAtK } from "../src/index.js";
import hnswlib from "hnswlib-node";
const N = Number(process.env.N ?? 60000), Q = 1000, K = 10;
const ds = loadFashionMnist();
const dim = ds.dim;
let t = performance.now();
const truth = cachedU32(`gt-fmnist-${N}-${Q}-l2-k100`, () => exactNeighbours(ds.base, N, ds.queries, Q, dim, 100, "l2").ids);
console.log("gt", ((performance.now() - t) / 1000).toFixed(1), "s");
t = performance.now();
const idx = new HnswIndex({ dim, metric: "l2", m: 16, efConstruction: 200, capacity: N });
for (let i = 0; i < N; i++) idx.upsert(i, ds.base.subarray(i * dim, (i + 1) * dim));
console.log("quiver build", ((performance.now() - t) / 1000).toFixed(1), "s", idx.memoryUsage());
const h = new hnswlib.HierarchicalNSW("l2", dim);
t = performance.now();
h.initIndex(N, 16, 200, 100);
for (let i = 0; i < N; i++) h.addPoint(Array.from(ds.base.subarray(i * dim, (i + 1) * dim)), i);
console.log("hnswlib build", ((performance.now() - t) / 1000).toFixed(1), "s");
const qs = Array.from({ length: Q }, (_, q) => ds.queries.subarray(q * dim, (q + 1) * dim));
const qa = qs.map((q) => Array.from(q));
for (const ef of [10, 20, 40, 80]) {
  for (let rep = 0; rep < 2; rep++) {
    let t0 = performance.now();
    const found = qs.map((q) => idx.search(q, K, { ef }).ids);
    const qq = Q / ((performance.now() - t0) / 1000);
    h.setEf(ef);
    t0 = performance.now();
    const found2 = qa.map((q) => h.searchKnn(q, K).neighbors);
    const qh = Q / ((performance.now() - t0) / 1000);
    console.log(`ef=${ef} quiver recall=${recallAtK(found, truth, 100, K).toFixed(4)} qps=${qq.toFixed(0)} | hnswlib recall=${recallAtK(found2, truth, 100, K).toFixed(4)} qps=${qh.toFixed(0)} ratio=${(qq / qh).toFixed(2)}`);
  }
}
