import { type BenchmarkJobResponse, QuiverClient } from "@quiver/api";
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { benchmarkChart } from "../bench/benchmark-chart.js";
import { ProgressBar } from "../load/progress.js";

export const BENCH_USAGE = `usage: quiver bench <library id or name> [--url http://127.0.0.1:8080]
  [--strategies none,scalar,product,hybrid] [--queries 100] [--sample 100000] [--chart bench.svg]
Measures the strategies on the library's own vectors (a job on the server), shows its progress,
then a table, the recommendation with its reason, and writes the chart of recall@10 against
memory and latency.`;

export interface BenchOptions {
  url: string;
  library: string;
  /** Names or quantization_config objects. */
  strategies?: unknown[];
  /** A number to draw from the library, or the query vectors. */
  queries?: number | number[][];
  sampleSize?: number;
  chartFile: string;
  pollMs?: number;
  apiKey?: string;
  out?: NodeJS.WriteStream;
  progress?: NodeJS.WriteStream;
}

export async function bench(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      url: { type: "string", default: process.env.QUIVER_URL ?? "http://127.0.0.1:8080" },
      strategies: { type: "string" },
      queries: { type: "string" },
      sample: { type: "string" },
      chart: { type: "string", default: "bench.svg" },
    },
  });
  if (positionals.length !== 1) {
    console.error(BENCH_USAGE);
    process.exit(2);
  }
  await runBench({
    url: values.url,
    library: positionals[0],
    strategies: values.strategies?.split(",").map((s) => s.trim()),
    queries: values.queries === undefined ? undefined : Number(values.queries),
    sampleSize: values.sample === undefined ? undefined : Number(values.sample),
    chartFile: values.chart,
    apiKey: process.env.QUIVER_API_KEY,
  });
}

/** Starts the benchmark job, follows it with a progress bar, prints the outcome, writes the chart. */
export async function runBench(options: BenchOptions): Promise<BenchmarkJobResponse> {
  const out = options.out ?? process.stdout;
  const client = new QuiverClient({ url: options.url, apiKey: options.apiKey });
  const library = (await client.listLibraries()).find(
    (l) => l.id === options.library || l.name === options.library,
  );
  if (!library) throw new Error(`no library ${options.library} at ${options.url}`);
  let job = await client.startBenchmark(library.id, {
    ...(options.strategies ? { strategies: options.strategies } : {}),
    ...(options.queries !== undefined ? { test_queries: options.queries } : {}),
    ...(options.sampleSize !== undefined ? { sample_size: options.sampleSize } : {}),
  });
  const bar = new ProgressBar(undefined, 0, options.progress ?? process.stderr);
  while (job.status === "running") {
    bar.updateShare(job.progress, job.eta_seconds);
    await sleep(options.pollMs ?? 500);
    job = await client.benchmark(library.id, job.job_id);
  }
  bar.updateShare(job.progress, job.eta_seconds, true);
  bar.endLine();
  if (job.status === "failed") throw new Error(`benchmark ${job.job_id} failed: ${job.error}`);
  out.write(`${resultTable(job)}\n\n`);
  out.write(`recommendation: ${job.recommendation}\n  ${job.reason}\n`);
  if (job.sample) out.write(`  (${job.sample.note})\n`);
  const chartFile = resolve(process.env.QUIVER_CALLER_CWD ?? process.cwd(), options.chartFile);
  writeFileSync(
    chartFile,
    benchmarkChart(
      job.results.map((r) => ({
        strategy: r.strategy,
        memoryMb: r.memory_mb,
        recall: r["recall@10"],
        avgLatencyMs: r.avg_latency_ms,
        recommended: r.strategy === job.recommendation,
      })),
      `${library.name}: ${job.sample?.library_vectors.toLocaleString("en")} vectors, ` +
        `${job.sample?.queries} queries`,
    ),
  );
  out.write(`chart: ${chartFile}\n`);
  return job;
}

/** The results as an aligned text table, the recommended strategy marked. */
export function resultTable(job: BenchmarkJobResponse): string {
  const estimated = job.results.some((r) => r.memory_estimated);
  const header = [
    "strategy",
    estimated ? "memory MB (est.)" : "memory MB",
    "bytes/vector",
    "recall@10",
    "avg ms",
    "p95 ms",
    "build s",
  ];
  const rows = job.results.map((r) => [
    `${r.strategy}${r.strategy === job.recommendation ? " *" : ""}`,
    r.memory_mb.toFixed(1),
    r.bytes_per_vector.toFixed(0),
    r["recall@10"].toFixed(4),
    r.avg_latency_ms.toFixed(3),
    r.p95_latency_ms.toFixed(3),
    r.build_seconds.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}
