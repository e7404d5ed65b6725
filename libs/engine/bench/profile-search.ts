// Runs searches of one configuration repeatedly, to profile them (the index is built once and
// cached as a snapshot in /tmp):
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile-search.ts fashion-mnist none 64
//   node --import tsx bench/summarize-profile.ts /tmp/prof
import { writeFileSync, readFileSync, existsSync } from "node:fs";
import { HnswIndex, ScalarQuantizer } from "../src/index.js";
import { isDatasetName, loadDataset } from "./datasets.js";
const [name = "fashion-mnist", strategy = "none", efArg = "64"] = process.argv.slice(2);
if (!isDatasetName(name)) throw new Error(name);
const data = loadDataset(name, 0, 1000);
const { dim, baseCount: n } = data;
const snap = `/tmp/prof-${name}-${strategy}.snap`;
let idx: HnswIndex;
if (existsSync(snap)) idx = HnswIndex.deserialize(new Uint8Array(readFileSync(snap)));
else {
  const storage =
    strategy === "scalar"
      ? { kind: "scalar" as const, quantizer: ScalarQuantizer.train(data.base, 10000, dim) }
      : { kind: "f32" as const };
  idx = new HnswIndex({ dim, metric: data.metric, storage, capacity: n });
  for (let i = 0; i < n; i++) idx.upsert(i, data.base.subarray(i * dim, (i + 1) * dim));
  writeFileSync(snap, idx.serialize());
}
const ef = Number(efArg);
const qs = Array.from({ length: 1000 }, (_, q) => data.queries.subarray(q * dim, (q + 1) * dim));
for (let rep = 0; rep < 8; rep++) {
  const t0 = performance.now();
  let dc = 0;
  for (const q of qs) dc += idx.search(q, 10, { ef }).distanceCount;
  const s = (performance.now() - t0) / 1000;
  console.log(
    `ef=${ef} qps=${(1000 / s).toFixed(0)} dist/query=${(dc / 1000).toFixed(0)} ns/dist=${((s * 1e9) / dc).toFixed(0)}`,
  );
}
