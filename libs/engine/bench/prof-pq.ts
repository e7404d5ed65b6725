import { loadFashionMnist } from "@quiver/testing";
import { FlatIndex, ProductQuantizer, exactNeighbours, recallAtK } from "../src/index.js";
const ds = loadFashionMnist();
const n = Number(process.env.TS ?? 50000);
const t = performance.now();
const pq = ProductQuantizer.train(ds.base, n, ds.dim, {});
console.log("train", ((performance.now() - t) / 1000).toFixed(1));
const N = 20000;
const flat = new FlatIndex({
  dim: ds.dim,
  metric: "l2",
  storage: { kind: "product", quantizer: pq },
  capacity: N,
});
const t2 = performance.now();
for (let i = 0; i < N; i++) flat.upsert(i, ds.base.subarray(i * ds.dim, (i + 1) * ds.dim));
console.log("encode 20k", ((performance.now() - t2) / 1000).toFixed(1));
const gt = exactNeighbours(ds.base, N, ds.queries, 200, ds.dim, 10, "l2").ids;
const found = Array.from(
  { length: 200 },
  (_, q) => flat.search(ds.queries.subarray(q * ds.dim, (q + 1) * ds.dim), 10).ids,
);
console.log("flat pq recall", recallAtK(found, gt, 10, 10));
