// npm run bench:memory -- [--strategies none,scalar,product] [--vectors 200000] [--dim 384]
//   [--partitions 1] [--settle 20] [--warm-up 20000] [--smaps DIR] [--out FILE]
// Do the statistics tell the truth about memory? For each strategy, a fresh cluster (nats-server,
// one shard process, a coordinator) loads the vectors over HTTP from this process; the growth of
// the shard process's resident memory while it does is compared with the library's
// `memory_usage.bytes.total` once everything is applied, trained and settled.
//
// What is compared: RssAnon, the anonymous resident pages (JS heap, ArrayBuffers, Wasm memories,
// malloc). RssFile is left out: LMDB maps the store's file, and the pages of it that reads touched
// (the originals, the metadata) show in RSS as file-backed page cache, which the kernel drops
// under pressure and which is the store, not the index. Each measurement follows a warm-up load,
// two full GCs (memory-probe.mjs) and glibc's malloc_trim (through gdb): garbage and the free
// memory the allocator keeps are held by nothing. The untrimmed growth is reported beside it.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { QuiverClient, type StatisticsResponse } from "@quiver/api";
import { clusteredGaussian, type Dataset, freePort, startNatsServer } from "@quiver/testing";
import { startLocalCluster } from "../src/local-cluster.js";
import { upsertAll } from "./http-ingest.js";
import { MemoryProbe, settledRss, trim } from "./process-memory.js";

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    strategies: { type: "string", default: "none,scalar,product" },
    vectors: { type: "string", default: "200000" },
    dim: { type: "string", default: "384" },
    partitions: { type: "string", default: "1" },
    settle: { type: "string", default: "20" },
    "warm-up": { type: "string", default: "20000" },
    smaps: { type: "string" },
    out: {
      type: "string",
      default: resolve(
        here,
        `../../../docs/results/memory-${new Date().toISOString().slice(0, 10)}.json`,
      ),
    },
  },
});
const outFile = resolve(process.env.QUIVER_CALLER_CWD ?? process.cwd(), values.out);
const VECTORS = Number(values.vectors);
const DIM = Number(values.dim);
const PARTITIONS = Number(values.partitions);
const SETTLE_S = Number(values.settle);
const QUERIES = 200;
const WARM_UP = Number(values["warm-up"]);
const HNSW = { m: 16, ef_construction: 200, ef_search: 64 };
const MB = 1e6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** With --smaps DIR, the shard's /proc/<pid>/smaps at each measurement: which mappings grew. */
function keepSmaps(pid: number, strategy: string, when: string): void {
  if (!values.smaps) return;
  const dir = resolve(process.env.QUIVER_CALLER_CWD ?? process.cwd(), values.smaps);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `smaps-${strategy}-${when}`), readFileSync(`/proc/${pid}/smaps`));
}

/** The children's probe (memory-probe.mjs): full GCs on SIGUSR2, then their memoryUsage(). */
const probe = new MemoryProbe();
Object.assign(process.env, probe.env());

/** Resident memory after a full GC: as it stands, and after glibc returned its free memory. */
async function measureRss(pid: number) {
  const heap = await probe.collect(pid);
  const raw = await settledRss(pid, SETTLE_S);
  const trimmed = trim(pid);
  return { heap, raw, trimmed, rss: trimmed ? await settledRss(pid, 10) : raw };
}

/** The strategy with its defaults (scalar: 10,000 calibration samples; product: 48 subvectors). */
function config(strategy: string): Record<string, unknown> {
  return { strategy };
}

async function ingest(
  client: QuiverClient,
  libraryId: string,
  data: Dataset,
  count = data.baseCount,
): Promise<number> {
  const started = performance.now();
  await upsertAll(client, libraryId, data, { count, batch: 1000 });
  // applied and trained: every vector counted and no partition still collecting its sample
  for (;;) {
    const stats = await client.statistics(libraryId);
    if (stats.num_vectors === count && stats.state === "serving") break;
    await sleep(500);
  }
  return (performance.now() - started) / 1000;
}

/** The warm-up library: the strategy, trained on a sample its few vectors fill. */
function warmUpConfig(strategy: string): Record<string, unknown> {
  const sample = Math.floor(WARM_UP / 4);
  if (strategy === "scalar") return { strategy, calibration_samples: sample };
  if (strategy === "product") return { strategy, training_samples: sample };
  return config(strategy);
}

async function searchAll(client: QuiverClient, libraryId: string, data: Dataset): Promise<void> {
  for (let q = 0; q < data.queryCount; q++)
    await client.search(libraryId, data.queries.subarray(q * data.dim, (q + 1) * data.dim), {
      k: 10,
      include_metadata: false,
    });
}

async function measure(strategy: string, data: Dataset) {
  const nats = await startNatsServer();
  const dir = mkdtempSync(join(tmpdir(), "quiver-bench-memory-"));
  const cluster = await startLocalCluster({
    natsUrl: nats.url,
    dataDir: dir,
    shards: 1,
    partitions: PARTITIONS,
    replicas: 1,
    host: "127.0.0.1",
    port: await freePort(),
    logLevel: "warn",
    stdio: "ignore",
  });
  try {
    const pid = cluster.shardProcesses[0].pid as number;
    const client = new QuiverClient({ url: cluster.url, timeoutMs: 600_000 });
    // Warm-up: a throwaway library of the same strategy (trained on a small sample) loaded,
    // searched and deleted, so that what the first load costs once (JIT code of its paths,
    // malloc arenas, buffers of the log consumer, LMDB's page lists) is in the baseline and the
    // growth is what the library holds.
    const warm = await client.createLibrary({
      name: `warm-up-${strategy}`,
      dimension: data.dim,
      metric: data.metric,
      hnsw_config: HNSW,
      partitions: PARTITIONS,
      quantization_config: warmUpConfig(strategy) as never,
    });
    await ingest(client, warm.id, data, WARM_UP);
    await searchAll(client, warm.id, data);
    await client.deleteLibrary(warm.id);
    const lib = await client.createLibrary({
      name: `memory-${strategy}`,
      dimension: data.dim,
      metric: data.metric,
      hnsw_config: HNSW,
      partitions: PARTITIONS,
      quantization_config: config(strategy) as never,
    });
    // the library exists, its partitions' consumers run, the index is empty: the baseline
    const before = await measureRss(pid);
    keepSmaps(pid, strategy, "before");
    const ingestS = await ingest(client, lib.id, data);
    // searches allocate their scratch (visited marks, heaps): part of what the index holds
    await searchAll(client, lib.id, data);
    const after = await measureRss(pid);
    keepSmaps(pid, strategy, "after");
    const stats: StatisticsResponse = await client.statistics(lib.id);
    const growth = after.rss.rssAnon - before.rss.rssAnon;
    const total = stats.memory_usage.bytes.total;
    return {
      strategy,
      vectors: stats.num_vectors,
      dim: data.dim,
      partitions: PARTITIONS,
      ingest_s: ingestS,
      statistics_bytes: stats.memory_usage.bytes,
      statistics_total: total,
      malloc_trimmed: before.trimmed && after.trimmed,
      rss_before: before.rss,
      rss_after: after.rss,
      rss_anon_growth: growth,
      raw_rss_before: before.raw,
      raw_rss_after: after.raw,
      raw_rss_anon_growth: after.raw.rssAnon - before.raw.rssAnon,
      rss_file_growth: after.rss.rssFile - before.rss.rssFile,
      heap_before: before.heap,
      heap_after: after.heap,
      heap_used_growth: after.heap.heapUsed - before.heap.heapUsed,
      external_growth: after.heap.external - before.heap.external,
      array_buffers_growth: after.heap.arrayBuffers - before.heap.arrayBuffers,
      ratio: total / growth,
      within_10pct: Math.abs(total / growth - 1) <= 0.1,
    };
  } finally {
    await cluster.stop();
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const data = clusteredGaussian({
  baseCount: VECTORS,
  queryCount: QUERIES,
  dim: DIM,
  clusters: 256,
  seed: 384,
});
console.log(
  `${VECTORS} x ${DIM} vectors, ${PARTITIONS} partition(s), one fresh shard process per strategy`,
);
const rows = [];
for (const strategy of values.strategies.split(",")) {
  const row = await measure(strategy, data);
  rows.push(row);
  console.log(
    `  ${strategy}: applied in ${row.ingest_s.toFixed(0)} s; statistics ${(row.statistics_total / MB).toFixed(1)} MB, ` +
      `RssAnon growth ${(row.rss_anon_growth / MB).toFixed(1)} MB${row.malloc_trimmed ? " after malloc_trim" : " (NOT trimmed: no gdb)"} ` +
      `(${(row.raw_rss_anon_growth / MB).toFixed(1)} MB before), ratio ${row.ratio.toFixed(3)}; ` +
      `RssFile +${(row.rss_file_growth / MB).toFixed(1)} MB; JS heap used +${(row.heap_used_growth / MB).toFixed(1)} MB, ` +
      `external +${(row.external_growth / MB).toFixed(1)} MB (ArrayBuffers +${(row.array_buffers_growth / MB).toFixed(1)})`,
  );
}

const header = [
  "strategy",
  "vectors",
  "statistics total MB",
  "RssAnon growth MB",
  "ratio",
  "untrimmed growth MB",
];
const table = rows.map((r) => [
  r.strategy,
  r.vectors.toLocaleString("en-US"),
  (r.statistics_total / MB).toFixed(1),
  (r.rss_anon_growth / MB).toFixed(1),
  r.ratio.toFixed(3),
  (r.raw_rss_anon_growth / MB).toFixed(1),
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
const line = (cells: string[]) =>
  `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ")} |`;
console.log(`\n${line(header)}\n|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
for (const t of table) console.log(line(t));

mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(
  outFile,
  JSON.stringify(
    {
      meta: {
        date: new Date().toISOString(),
        node: process.version,
        hnsw: HNSW,
        compared:
          "RssAnon growth of the shard process (after full GC and malloc_trim) vs memory_usage.bytes.total",
      },
      rows,
    },
    null,
    1,
  ),
);
rmSync(probe.dir, { recursive: true, force: true });
console.log(`\nwrote ${outFile}`);
