import { loadFashionMnist } from "@quiver/testing";
import { HnswIndex } from "../src/index.js";
const N = Number(process.env.N ?? 20000);
const ds = loadFashionMnist();
const dim = ds.dim;
const t = performance.now();
const idx = new HnswIndex({ dim, metric: "l2", m: 16, efConstruction: 200, capacity: N });
for (let i = 0; i < N; i++) idx.upsert(i, ds.base.subarray(i * dim, (i + 1) * dim));
console.log("quiver build", ((performance.now() - t) / 1000).toFixed(1), "s");
