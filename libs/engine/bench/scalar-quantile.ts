// Recall@10 of an exhaustive scan over 8-bit codes for several calibration quantiles:
//   node --import tsx bench/scalar-quantile.ts [base=20000] [queries=200]
import { recallAtK, ScalarQuantizer } from "../src/index.js";
import { flatIndexOf, queryOf, sampleRows } from "./bench-data.js";
import { DATASETS, groundTruth, loadDataset, TRUTH_K } from "./datasets.js";

const base = Number(process.argv[2] ?? 20_000);
const queries = Number(process.argv[3] ?? 200);
const quantiles = [1, 0.9999, 0.9995, 0.999, 0.998, 0.995, 0.99];
console.log(`| data set | ${quantiles.map((q) => `q=${q}`).join(" | ")} |`);
console.log(`|---|${quantiles.map(() => "---:").join("|")}|`);
for (const name of Object.keys(DATASETS) as (keyof typeof DATASETS)[]) {
  const d = loadDataset(name, base, queries);
  const truth = groundTruth(d);
  const sample = sampleRows(d, 10_000);
  const cells = quantiles.map((quantile) => {
    const quantizer = ScalarQuantizer.train(sample.rows, sample.count, d.dim, { quantile });
    const flat = flatIndexOf(d, { kind: "scalar", quantizer });
    const found = Array.from(
      { length: d.queryCount },
      (_, q) => flat.search(queryOf(d, q), 10).ids,
    );
    return recallAtK(found, truth, TRUTH_K, 10).toFixed(4);
  });
  console.log(`| ${d.name} | ${cells.join(" | ")} |`);
}
