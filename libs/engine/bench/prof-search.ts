import { loadFashionMnist } from "@quiver/testing";
import { HnswIndex } from "../src/index.js";
import { writeFileSync, readFileSync, existsSync } from "node:fs";
const N = Number(process.env.N ?? 60000);
const ds = loadFashionMnist();
const dim = ds.dim;
const snap = `/tmp/fmnist-${N}.qvhn`;
let idx: HnswIndex;
if (existsSync(snap)) idx = HnswIndex.deserialize(new Uint8Array(readFileSync(snap)));
else {
  idx = new HnswIndex({ dim, metric: "l2", m: 16, efConstruction: 200, capacity: N });
  for (let i = 0; i < N; i++) idx.upsert(i, ds.base.subarray(i * dim, (i + 1) * dim));
  writeFileSync(snap, idx.serialize());
}
const ef = Number(process.env.EF ?? 80);
const qs = Array.from({ length: 1000 }, (_, q) => ds.queries.subarray(q * dim, (q + 1) * dim));
for (let rep = 0; rep < 5; rep++) {
  const t0 = performance.now();
  let dc = 0;
  for (const q of qs) dc += idx.search(q, 10, { ef }).distanceCount;
  const s = (performance.now() - t0) / 1000;
  console.log(
    `ef=${ef} qps=${(1000 / s).toFixed(0)} dist/query=${(dc / 1000).toFixed(0)} ns/dist=${((s * 1e9) / dc).toFixed(0)}`,
  );
}
