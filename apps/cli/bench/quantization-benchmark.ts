// npm run bench:quantization -- [--base N] [--queries Q] [--strategies none,scalar,...]
//   [--partitions P] [--ann docs/results/ann-2026-11-26.json] [--out FILE]
// The benchmark endpoint on Fashion-MNIST, end to end: Quiver in embedded mode, the training set
// loaded over HTTP, POST .../quantization/benchmark with the test set as test_queries; prints the
// endpoint's figures next to bench:ann's at the same settings (ef_search 64, rerank_top_k 100)
// with the difference, and writes both as JSON and a Markdown table.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { QuiverClient } from "@quiver/api";
import { silentLogger } from "@quiver/telemetry";
import { loadFashionMnist, row, subset } from "@quiver/testing";
import { resultTable, runBench } from "../src/commands/bench.js";
import { startEmbedded } from "../src/embedded.js";
import { ProgressBar } from "../src/load/progress.js";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../../..");
const { values } = parseArgs({
  options: {
    base: { type: "string", default: "60000" },
    queries: { type: "string", default: "1000" },
    strategies: { type: "string", default: "none,scalar,product,hybrid,hybrid-product" },
    partitions: { type: "string", default: "2" },
    ann: { type: "string", default: join(repo, "docs/results/ann-2026-11-26.json") },
    out: { type: "string", default: join(repo, "bench-results/quantization-benchmark.json") },
  },
});
const caller = process.env.QUIVER_CALLER_CWD ?? process.cwd();
const outFile = resolve(caller, values.out);

/** bench:ann's strategy names; `hybrid` there is `hybrid-scalar`. */
const ANN_NAME: Record<string, string> = { hybrid: "hybrid-scalar" };
const strategies = values.strategies
  .split(",")
  .map((s) => (s === "hybrid-product" ? { strategy: "hybrid", initial_search: "product" } : s));

interface AnnRow {
  dataset: string;
  engine: string;
  strategy: string;
  recall_at_10: number;
  qps: number;
  bytes_per_vector: number;
  default_settings?: boolean;
}
const ann = JSON.parse(readFileSync(resolve(caller, values.ann), "utf8")) as {
  meta: { settings: { queries: number } };
  rows: AnnRow[];
};

const data = subset(loadFashionMnist(), Number(values.base), Number(values.queries));
const dataDir = mkdtempSync(join(tmpdir(), "quiver-bench-quantization-"));
const quiver = await startEmbedded(
  {
    host: "127.0.0.1",
    port: 0,
    dataDir,
    partitions: Number(values.partitions),
    logLevel: "silent",
  },
  silentLogger(),
);
try {
  const client = new QuiverClient({ url: quiver.url, timeoutMs: 600_000 });
  const library = await client.createLibrary({
    name: "fashion-mnist",
    dimension: data.dim,
    metric: "l2",
  });
  console.log(`loading ${data.baseCount} x ${data.dim} into ${library.id} ...`);
  const load = new ProgressBar(data.baseCount);
  for (let start = 0; start < data.baseCount; start += 1000) {
    const end = Math.min(start + 1000, data.baseCount);
    const batch = [];
    for (let i = start; i < end; i++)
      batch.push({ id: `v${i}`, vector: row(data.base, data.dim, i) });
    await client.upsert(library.id, batch, { wait: true });
    load.update(end);
  }
  load.finish(data.baseCount);

  console.log(`benchmark: ${strategies.length} strategies, ${data.queryCount} test queries ...`);
  const t0 = performance.now();
  const job = await runBench({
    url: quiver.url,
    library: library.id,
    strategies,
    queries: Array.from({ length: data.queryCount }, (_, q) =>
      Array.from(row(data.queries, data.dim, q)),
    ),
    chartFile: outFile.replace(/\.json$/, "") + ".svg",
    pollMs: 1000,
  });
  const seconds = (performance.now() - t0) / 1000;

  const annDefaults = ann.rows.filter(
    (r) => r.engine === "quiver" && r.default_settings && r.dataset.startsWith("fashion-mnist["),
  );
  const comparison = job.results.map((r) => {
    const a = annDefaults.find((x) => x.strategy === (ANN_NAME[r.strategy] ?? r.strategy));
    return {
      strategy: r.strategy,
      endpoint_recall_at_10: r["recall@10"],
      ann_recall_at_10: a?.recall_at_10 ?? null,
      recall_difference: a ? round(r["recall@10"] - a.recall_at_10) : null,
      endpoint_bytes_per_vector: r.bytes_per_vector,
      ann_bytes_per_vector: a ? Math.round(a.bytes_per_vector * 10) / 10 : null,
      endpoint_qps: Math.round(1000 / r.avg_latency_ms),
      ann_qps: a ? Math.round(a.qps) : null,
    };
  });
  const header =
    "| strategy | recall@10 endpoint | recall@10 bench:ann | difference | bytes/vector endpoint | bytes/vector bench:ann | QPS endpoint (1/avg latency) | QPS bench:ann |";
  const lines = [
    header,
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...comparison.map(
      (c) =>
        `| ${c.strategy} | ${c.endpoint_recall_at_10.toFixed(4)} | ${c.ann_recall_at_10?.toFixed(4) ?? "n/a"} | ` +
        `${c.recall_difference === null ? "n/a" : signed(c.recall_difference)} | ${c.endpoint_bytes_per_vector.toFixed(0)} | ` +
        `${c.ann_bytes_per_vector?.toFixed(0) ?? "n/a"} | ${c.endpoint_qps} | ${c.ann_qps ?? "n/a"} |`,
    ),
  ];
  const report = [
    `## Benchmark endpoint on ${data.name} (${data.baseCount} x ${data.dim}, ${data.queryCount} test queries, l2)`,
    "",
    "```",
    resultTable(job),
    "```",
    "",
    `recommendation: **${job.recommendation}** — ${job.reason}`,
    "",
    `Against bench:ann (${values.ann.replace(`${repo}/`, "")}) at the same settings (M 16, ef_construction 200, ef_search 64, rerank_top_k 100):`,
    "",
    ...lines,
    "",
    `Job time ${seconds.toFixed(0)} s (sampling, exact ground truth, every build, the searches).`,
  ].join("\n");
  console.log(`\n${report}`);

  mkdirSync(dirname(outFile), { recursive: true });
  const meta = {
    date: new Date().toISOString(),
    command: `npm run bench:quantization -- ${process.argv.slice(2).join(" ")}`.trim(),
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    node: process.version,
    dataset: data.name,
    partitions: Number(values.partitions),
    job_seconds: seconds,
  };
  writeFileSync(outFile, JSON.stringify({ meta, job, comparison }, null, 1));
  writeFileSync(outFile.replace(/\.json$/, "") + ".md", report + "\n");
  console.log(`\nwrote ${outFile} (and .md, .svg)`);
} finally {
  await quiver.close();
  rmSync(dataDir, { recursive: true, force: true });
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

function signed(x: number): string {
  return `${x >= 0 ? "+" : ""}${x.toFixed(4)}`;
}
