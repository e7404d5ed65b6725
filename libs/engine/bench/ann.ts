// npm run bench:ann -- [--datasets a,b] [--base N] [--queries Q] [--out FILE] [--ef 10,20,...]
//   [--rerank 10,20,...] [--repeats R] [--m M] [--ef-construction EF] [--engines quiver,hnswlib-node,usearch]
//   [--strategies none,scalar,product] [--usearch f32,bf16,i8]
// Builds Quiver's strategies and the peers (hnswlib-node, usearch) on the same data with the same
// M / ef_construction / ef, single-threaded, each in a process of its own; prints a table per data
// set and writes every row as JSON.
import { fork } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { AnnRow, AnnTask } from "./ann-task.js";
import { DATASETS, groundTruth, isDatasetName, loadDataset } from "./datasets.js";
import { addRatios, summary, table } from "./report.js";

const here = dirname(fileURLToPath(import.meta.url));
const list = (s: string) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
const numbers = (s: string) => list(s).map(Number);

const { values } = parseArgs({
  options: {
    datasets: { type: "string", default: Object.keys(DATASETS).join(",") },
    base: { type: "string", default: "0" },
    queries: { type: "string", default: "1000" },
    out: { type: "string", default: resolve(here, "../../../bench-results/ann.json") },
    ef: { type: "string", default: "10,16,24,32,48,64,96,128" },
    rerank: { type: "string", default: "10,20,50,100" },
    repeats: { type: "string", default: "5" },
    m: { type: "string", default: "16" },
    "ef-construction": { type: "string", default: "200" },
    engines: { type: "string", default: "quiver,hnswlib-node,usearch" },
    strategies: { type: "string", default: "none,scalar,product" },
    usearch: { type: "string", default: "f32,bf16,i8" },
  },
});

// npm runs the script in the engine's folder; a relative --out is relative to where npm was run.
const outFile = resolve(process.env.INIT_CWD ?? process.cwd(), values.out);
const datasets = list(values.datasets);
for (const d of datasets)
  if (!isDatasetName(d))
    throw new Error(`unknown data set ${d}; known: ${Object.keys(DATASETS).join(", ")}`);
const engines = list(values.engines);
const common = {
  base: Number(values.base),
  queries: Number(values.queries),
  m: Number(values.m),
  efConstruction: Number(values["ef-construction"]),
  efs: numbers(values.ef),
  rerankTopKs: numbers(values.rerank),
  repeats: Number(values.repeats),
  k: 10,
};

function runWorker(task: AnnTask): Promise<AnnRow[]> {
  return new Promise((resolvePromise, reject) => {
    const rows: AnnRow[] = [];
    const child = fork(resolve(here, "ann-worker.ts"), [JSON.stringify(task)], {
      // A small young generation keeps V8's heap from shrinking by megabytes during the measurement.
      execArgv: ["--import", "tsx", "--expose-gc", "--max-semi-space-size=1"],
      // A fixed glibc mmap threshold returns freed large blocks to the OS at once, so that the
      // RSS growth over a build measures what the index holds, not the allocator's leftovers.
      env: { ...process.env, MALLOC_MMAP_THRESHOLD_: "131072" },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    child.on("message", (row) => rows.push(row as AnnRow));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0
        ? resolvePromise(rows)
        : reject(
            new Error(`${task.engine}/${task.strategy} on ${task.dataset} exited with ${code}`),
          ),
    );
  });
}

const allRows: AnnRow[] = [];
const reports: string[] = [];
for (const dataset of datasets) {
  if (!isDatasetName(dataset)) continue;
  const data = loadDataset(dataset, common.base, common.queries);
  const t0 = performance.now();
  groundTruth(data);
  console.log(
    `\n## ${data.name}: ${data.baseCount} x ${data.dim}, ${data.queryCount} queries, ${data.metric} (ground truth ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );
  const tasks: AnnTask[] = [];
  if (engines.includes("quiver"))
    for (const s of list(values.strategies))
      tasks.push({ ...common, dataset, engine: "quiver", strategy: s });
  if (engines.includes("hnswlib-node"))
    tasks.push({ ...common, dataset, engine: "hnswlib-node", strategy: "float32" });
  if (engines.includes("usearch"))
    for (const q of list(values.usearch))
      tasks.push({ ...common, dataset, engine: "usearch", strategy: q });
  const rows: AnnRow[] = [];
  for (const task of tasks) {
    const t = performance.now();
    const got = await runWorker(task);
    rows.push(...got);
    console.log(
      `  ${task.engine}/${task.strategy}: ${got.length} rows, ${((performance.now() - t) / 1000).toFixed(0)} s`,
    );
  }
  addRatios(rows);
  const report = [
    `## ${data.name} (${data.baseCount} x ${data.dim}, ${data.queryCount} queries, ${data.metric})`,
    "",
    table(rows),
    "",
    ...summary(rows).map((s) => `- ${s}`),
  ].join("\n");
  console.log(`\n${report}`);
  reports.push(report);
  allRows.push(...rows);
}

mkdirSync(dirname(outFile), { recursive: true });
const meta = {
  date: new Date().toISOString(),
  command: `npm run bench:ann -- ${process.argv.slice(2).join(" ")}`.trim(),
  cpu: cpus()[0]?.model,
  cores: cpus().length,
  memory_gib: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  settings: common,
};
const tablesFile = outFile.replace(/\.json$/, "") + ".md";
writeFileSync(outFile, JSON.stringify({ meta, rows: allRows }, null, 1));
writeFileSync(tablesFile, reports.join("\n\n") + "\n");
console.log(`\nwrote ${allRows.length} rows to ${outFile} (and the tables to ${tablesFile})`);
