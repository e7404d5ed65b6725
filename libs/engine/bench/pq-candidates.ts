// How much of the true top 10 an exhaustive PQ scan's top R holds (what hybrid(product) can at
// best recover by reranking R candidates), for several numbers of subvectors:
//   node --import tsx bench/pq-candidates.ts [dataset=clustered-384] [base=0] [queries=200] [R=100]
import { ProductQuantizer } from "../src/index.js";
import { flatIndexOf, queryOf, sampleRows, TRAINING_SAMPLES } from "./bench-data.js";
import { groundTruth, isDatasetName, loadDataset, TRUTH_K } from "./datasets.js";

const [name = "clustered-384", baseArg = "0", queriesArg = "200", rArg = "100"] =
  process.argv.slice(2);
if (!isDatasetName(name)) throw new Error(`unknown data set ${name}`);
const d = loadDataset(name, Number(baseArg), Number(queriesArg));
const truth = groundTruth(d);
const r = Number(rArg);
const sample = sampleRows(d, TRAINING_SAMPLES);
for (const subvectors of [d.dim / 8, d.dim / 4]) {
  const quantizer = ProductQuantizer.train(sample.rows, sample.count, d.dim, { subvectors });
  const flat = flatIndexOf(d, { kind: "product", quantizer });
  let held = 0;
  for (let q = 0; q < d.queryCount; q++) {
    const top = new Set(flat.search(queryOf(d, q), r).ids);
    for (let j = 0; j < 10; j++) if (top.has(truth[q * TRUTH_K + j])) held++;
  }
  console.log(
    `${d.name}: ${subvectors} subvectors: the PQ top ${r} holds ${(held / (d.queryCount * 10)).toFixed(3)} of the true top 10`,
  );
}
