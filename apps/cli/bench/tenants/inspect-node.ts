// node --import tsx bench/tenants/inspect-node.ts --pid PID --url URL --data-dir DIR
//   --probe-dir DIR --baseline-rss-anon-kib N [--searches 20000] [--concurrency 8] [--out FILE]
// The final measurement of bench:tenants, on a node bench:tenants started and is still waiting
// on (e.g. for thousands of trainings): searches over its libraries in random order (each must
// succeed; a library still collecting or training its sample searches exactly), every
// library's statistics summed, then the node's figures (every thread's full GC, malloc_trim) and
// the fixed cost per library against the RssAnon baseline bench:tenants printed. The node keeps
// running; its idle threads (training, rebuild) may still be alive and count in its RSS.
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { QuiverClient } from "@quiver/api";
import { MemoryProbe } from "../process-memory.js";
import { nodeFigures } from "./node-figures.js";

const { values } = parseArgs({
  options: {
    pid: { type: "string" },
    url: { type: "string" },
    "data-dir": { type: "string" },
    "probe-dir": { type: "string" },
    "baseline-rss-anon-kib": { type: "string" },
    searches: { type: "string", default: "20000" },
    concurrency: { type: "string", default: "8" },
    out: { type: "string", default: "tenants-inspect.json" },
  },
});
const pid = Number(values.pid);
const url = values.url as string;
const client = new QuiverClient({ url, timeoutMs: 600_000 });
const probe = new MemoryProbe(values["probe-dir"]);
const K = 10;
const DIM = 128;

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0
    ? 0
    : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

const all = (await client.listLibraries()).filter((l) => l.name.startsWith("tenant-"));
const libraries = all.length;
const states: Record<string, number> = {};
const failures: string[] = [];
let statisticsBytes = 0;
let next = 0;
let seed = 7;
const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
const searches = Number(values.searches);
const picks = Array.from({ length: searches }, () => all[Math.floor(random() * libraries)]);
const ms: number[] = [];
const started = performance.now();
await Promise.all(
  Array.from({ length: Number(values.concurrency) }, async () => {
    while (next < searches) {
      const lib = picks[next++];
      const query = Float32Array.from({ length: DIM }, () => random() * 4 - 2);
      const t = performance.now();
      try {
        const answer = await client.search(lib.id, query, { k: K, include_metadata: false });
        if (answer.results.length !== K) throw new Error(`${answer.results.length} results`);
        ms.push(performance.now() - t);
      } catch (error) {
        failures.push(`search ${lib.name}: ${(error as Error).message}`);
      }
    }
  }),
);
const searchS = (performance.now() - started) / 1000;
ms.sort((a, b) => a - b);
next = 0;
await Promise.all(
  Array.from({ length: 8 }, async () => {
    while (next < libraries) {
      const lib = all[next++];
      try {
        const stats = await client.statistics(lib.id);
        statisticsBytes += stats.memory_usage.bytes.total;
        states[stats.state] = (states[stats.state] ?? 0) + 1;
      } catch (error) {
        failures.push(`statistics ${lib.name}: ${(error as Error).message}`);
      }
    }
  }),
);
const node = await nodeFigures(pid, url, values["data-dir"] as string, probe);
const baselineBytes = Number(values["baseline-rss-anon-kib"]) * 1024;
const grown = node.rss.rssAnon - baselineBytes;
const per = (b: number) => b / libraries;
const row = {
  libraries,
  states,
  failures: { count: failures.length, first: failures.slice(0, 10) },
  search: {
    count: ms.length,
    qps: ms.length / searchS,
    p50_ms: percentile(ms, 0.5),
    p99_ms: percentile(ms, 0.99),
  },
  memory: {
    baseline_rss_anon_bytes: baselineBytes,
    rss_anon_bytes: node.rss.rssAnon,
    raw_rss_anon_bytes: node.rawRss.rssAnon,
    rss_file_bytes: node.rss.rssFile,
    malloc_trimmed: node.trimmed,
    statistics_memory_usage_bytes: statisticsBytes,
    fixed_cost_per_library_bytes: per(grown - statisticsBytes),
    raw_fixed_cost_per_library_bytes: per(node.rawRss.rssAnon - baselineBytes - statisticsBytes),
    // absolute figures over the libraries: upper bounds of their share (the warm-up's included)
    per_library_bytes: {
      statistics_memory_usage: per(statisticsBytes),
      kernel: Object.fromEntries(Object.entries(node.kernel).map(([k, v]) => [k, per(v)])),
      main_heap_used: per(node.heap.heapUsed),
      worker_heaps_used: per(node.heap.threads.slice(1).reduce((s, t) => s + t.heapUsed, 0)),
      disk: Object.fromEntries(Object.entries(node.diskBytes).map(([k, v]) => [k, per(v)])),
      series: per(node.series),
    },
    threads: node.threads,
    js_threads: node.jsThreads,
    series: node.series,
    library_series: node.librarySeries,
  },
  load_average: loadavg(),
  date: new Date().toISOString(),
};
writeFileSync(values.out as string, JSON.stringify(row, null, 1));
console.log(JSON.stringify(row, null, 1));
