import {
  clusteredGaussian,
  loadFashionMnist,
  normalized,
  subset,
  type Dataset,
} from "@quiver/testing";
import { FlatIndex, ScalarQuantizer, exactNeighbours, recallAtK } from "../src/index.js";
const sets: Dataset[] = [
  subset(loadFashionMnist(), 20000, 200),
  subset(normalized(loadFashionMnist()), 20000, 200),
  clusteredGaussian({
    baseCount: 20000,
    queryCount: 200,
    dim: 128,
    clusters: 128,
    seed: 128,
    anisotropic: true,
  }),
  clusteredGaussian({ baseCount: 20000, queryCount: 200, dim: 384, clusters: 256, seed: 384 }),
];
for (const d of sets) {
  const gt = exactNeighbours(d.base, d.baseCount, d.queries, d.queryCount, d.dim, 10, d.metric).ids;
  const line = [d.name];
  for (const quantile of [1, 0.9999, 0.9995, 0.999, 0.998, 0.995, 0.99]) {
    const sq = ScalarQuantizer.train(d.base, 10000, d.dim, { quantile });
    const f = new FlatIndex({
      dim: d.dim,
      metric: d.metric,
      storage: { kind: "scalar", quantizer: sq },
      capacity: d.baseCount,
    });
    for (let i = 0; i < d.baseCount; i++) f.upsert(i, d.base.subarray(i * d.dim, (i + 1) * d.dim));
    const found = Array.from(
      { length: d.queryCount },
      (_, q) => f.search(d.queries.subarray(q * d.dim, (q + 1) * d.dim), 10).ids,
    );
    line.push(`q=${quantile}: ${recallAtK(found, gt, 10, 10).toFixed(4)}`);
  }
  console.log(line.join("  "));
}
