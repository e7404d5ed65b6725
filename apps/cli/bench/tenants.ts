// npm run bench:tenants -- [--libraries 10000] [--vectors 1000] [--dim 128] [--partitions 4]
//   [--searches 20000] [--concurrency 8] [--out FILE]
// Many small libraries on one node: Quiver embedded (`quiver serve`, as `npm start` runs it) in
// a process of its own; this process creates the libraries (mixed strategies), fills each with
// its own seeded vectors, waits until every one is applied (and the trained ones switched to
// codes), then searches them in random order. Every create, upsert and search must succeed (a
// failure is counted, with its message, and the run goes on). The fixed cost of a library is the
// server's RssAnon growth beyond what its libraries' statistics count (memory_usage.bytes.total,
// summed over every library's statistics), divided by the libraries. The node is measured after
// a warm-up (baseline), with the libraries created and empty, and filled and searched; each time
// after every thread's full GC and glibc's malloc_trim (memory-probe.mjs, through gdb; garbage and
// free malloc memory are held by nothing), with the untrimmed RssAnon beside it. Also per
// library: the JS heaps by thread, the /metrics series and the bytes on disk (store and log).
import {
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { QuiverClient } from "@quiver/api";
import { exactNeighbours } from "@quiver/engine";
import { clusteredGaussian, freePort } from "@quiver/testing";
import { startServe } from "./load/children.js";
import { MemoryProbe } from "./process-memory.js";
import { nodeFigures, perLibrary } from "./tenants/node-figures.js";

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    libraries: { type: "string", default: "10000" },
    vectors: { type: "string", default: "1000" },
    dim: { type: "string", default: "128" },
    partitions: { type: "string", default: "4" },
    searches: { type: "string", default: "20000" },
    concurrency: { type: "string", default: "8" },
    out: { type: "string", default: resolve(here, "../../../bench-results/tenants.json") },
  },
});
const outFile = resolve(process.env.QUIVER_CALLER_CWD ?? process.cwd(), values.out);
const LIBRARIES = Number(values.libraries);
const VECTORS = Number(values.vectors);
const DIM = Number(values.dim);
const PARTITIONS = Number(values.partitions);
const SEARCHES = Number(values.searches);
const CONCURRENCY = Number(values.concurrency);
const K = 10;

/**
 * The mix: float32, 8-bit scalar and PQ trained once a library holds its 1,000 vectors, and
 * hybrid with the product's default samples (10,000: these libraries stay exact, as a tenant's
 * small library does).
 */
const MIX = [
  { name: "none", trains: false, config: { strategy: "none" } },
  { name: "none", trains: false, config: { strategy: "none" } },
  { name: "scalar", trains: true, config: { strategy: "scalar", calibration_samples: 1000 } },
  {
    name: "product",
    trains: true,
    config: { strategy: "product", subvectors: DIM / 8, training_samples: 1000 },
  },
  {
    name: "hybrid (exact)",
    trains: false,
    config: { strategy: "hybrid", initial_search: "scalar" },
  },
] as const;
const mixOf = (i: number) => MIX[i % MIX.length];

/** Library i's vectors: a seeded mixture of its own. */
const dataOf = (i: number) =>
  clusteredGaussian({ baseCount: VECTORS, queryCount: 0, dim: DIM, clusters: 8, seed: 1000 + i });

/** Queries from library i's mixture (its centres), without drawing its vectors again. */
const queriesOf = (i: number) =>
  clusteredGaussian({ baseCount: 0, queryCount: 5, dim: DIM, clusters: 8, seed: 1000 + i }).queries;

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0
    ? 0
    : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** Failures by step: how many, and the first few messages (which library, what it said). */
const failures: Record<string, { count: number; first: string[] }> = {};
function fail(step: string, what: string, error: unknown): void {
  const f = (failures[step] ??= { count: 0, first: [] });
  f.count++;
  if (f.first.length < 10) f.first.push(`${what}: ${(error as Error).message ?? String(error)}`);
}

/**
 * Runs `count` tasks, `concurrency` at a time; answers the ms of those that succeeded, sorted.
 * A task that throws is counted as a failure of `step` and the others go on.
 */
async function pool(
  step: string,
  count: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
) {
  const ms: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const started = performance.now();
        try {
          await task(i);
          ms.push(performance.now() - started);
        } catch (error) {
          fail(step, `library ${i}`, error);
        }
      }
    }),
  );
  return ms.sort((a, b) => a - b);
}

const KiB = 1024;
const probe = new MemoryProbe();
const dataDir = mkdtempSync(join(tmpdir(), "quiver-bench-tenants-"));
const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const serve = startServe({
  ...probe.env(),
  QUIVER_PORT: String(port),
  QUIVER_DATA_DIR: dataDir,
  QUIVER_PARTITIONS: String(PARTITIONS),
  QUIVER_LOG_LEVEL: "warn",
  // the background recall probe would measure every library again and again
  QUIVER_PROBE_INTERVAL_MS: "0",
});
// the server's log (warnings and errors: a halted partition, a failed library) beside the results
const serverLog = `${outFile.replace(/\.json$/, "")}.server.log`;
mkdirSync(dirname(serverLog), { recursive: true });
serve.stdout?.pipe(createWriteStream(serverLog));
const pid = serve.pid as number;
const measure = () => nodeFigures(pid, url, dataDir, probe);
const client = new QuiverClient({ url, timeoutMs: 600_000 });
try {
  while (!(await client.healthy())) await new Promise((r) => setTimeout(r, 200));
  // warm-up: the code paths of every strategy, before the baseline
  for (let i = 0; i < MIX.length; i++) {
    const lib = await client.createLibrary({
      name: `warm-${i}`,
      dimension: DIM,
      partitions: PARTITIONS,
      quantization_config: { ...mixOf(i).config },
    });
    const data = dataOf(-1 - i);
    await client.upsert(
      lib.id,
      Array.from({ length: VECTORS }, (_, v) => ({
        id: `w${v}`,
        vector: data.base.subarray(v * DIM, (v + 1) * DIM),
      })),
      { wait: true },
    );
    await client.search(lib.id, queriesOf(-1 - i).subarray(0, DIM), { k: K });
  }
  await new Promise((r) => setTimeout(r, 3000));
  const baseline = await measure();
  console.log(
    `baseline: RssAnon ${(baseline.rss.rssAnon / KiB).toFixed(0)} KiB after GC and trim (${(baseline.rawRss.rssAnon / KiB).toFixed(0)} before), ${baseline.series} series`,
  );

  const ids: (string | undefined)[] = new Array(LIBRARIES);
  let started = performance.now();
  const createMs = await pool("create", LIBRARIES, CONCURRENCY, async (i) => {
    const lib = await client.createLibrary({
      name: `tenant-${i}`,
      dimension: DIM,
      partitions: PARTITIONS,
      quantization_config: { ...mixOf(i).config },
    });
    ids[i] = lib.id;
  });
  const createS = (performance.now() - started) / 1000;
  const empty = await measure();
  const emptyCost = perLibrary(baseline, empty, LIBRARIES);
  console.log(
    `created ${createMs.length} of ${LIBRARIES} libraries in ${createS.toFixed(0)} s (p50 ${percentile(createMs, 0.5).toFixed(1)} ms, p99 ${percentile(createMs, 0.99).toFixed(1)} ms); per empty library: RssAnon +${(emptyCost.rss_anon_bytes / KiB).toFixed(1)} KiB, ${emptyCost.series.toFixed(2)} series`,
  );

  started = performance.now();
  const upsertMs = await pool("upsert", LIBRARIES, 4, async (i) => {
    const id = ids[i];
    if (!id) throw new Error("not created");
    const data = dataOf(i);
    await client.upsert(
      id,
      Array.from({ length: VECTORS }, (_, v) => ({
        id: `v${v}`,
        vector: data.base.subarray(v * DIM, (v + 1) * DIM),
      })),
    );
  });
  const acknowledgedS = (performance.now() - started) / 1000;
  console.log(
    `upserted ${upsertMs.length * VECTORS} vectors, acknowledged in ${acknowledgedS.toFixed(0)} s (p50 ${percentile(upsertMs, 0.5).toFixed(0)} ms per request)`,
  );
  // every library applied, and the trained ones serving on codes (or the run stalls: an hour
  // without progress ends the wait, and what is missing is counted)
  const pending = new Set([...ids.keys()].filter((i) => ids[i] !== undefined));
  let lastProgress = Date.now();
  while (pending.size > 0 && Date.now() - lastProgress < 3_600_000) {
    for (const i of [...pending]) {
      const stats = await client.statistics(ids[i] as string).catch(() => undefined);
      const trained = !mixOf(i).trains || stats?.state === "serving";
      if (stats?.num_vectors !== VECTORS || !trained) break;
      pending.delete(i);
      lastProgress = Date.now();
    }
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 1000));
  }
  for (const i of pending)
    fail("apply", `library ${i}`, new Error("not applied or trained in time"));
  const readyS = (performance.now() - started) / 1000;
  console.log(`every library applied and trained after ${readyS.toFixed(0)} s`);

  // searches over random libraries; recall against brute force on a sample of them
  let seed = 7;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const picks = Array.from({ length: SEARCHES }, () => Math.floor(random() * LIBRARIES));
  const recallBy = new Map<string, { hits: number; total: number }>();
  const measured = new Set(
    Array.from({ length: Math.min(LIBRARIES, 500) }, () => Math.floor(random() * LIBRARIES)),
  );
  started = performance.now();
  const searchMs = await pool("search", SEARCHES, CONCURRENCY, async (s) => {
    const i = picks[s];
    const queries = queriesOf(i);
    const q = s % 5;
    const query = queries.subarray(q * DIM, (q + 1) * DIM);
    const answer = await client.search(ids[i] as string, query, { k: K, include_metadata: false });
    if (answer.results.length !== K)
      throw new Error(`library ${i}: ${answer.results.length} results, not ${K}`);
    if (measured.has(i) && q === 0) {
      measured.delete(i);
      const truth = exactNeighbours(dataOf(i).base, VECTORS, query, 1, DIM, K, "l2").ids;
      const want = new Set(Array.from(truth, (t) => `v${t}`));
      const r = recallBy.get(mixOf(i).name) ?? { hits: 0, total: 0 };
      r.hits += answer.results.filter((h) => want.has(h.id)).length;
      r.total += K;
      recallBy.set(mixOf(i).name, r);
    }
  });
  const searchS = (performance.now() - started) / 1000;

  // what the libraries' statistics count, after the searches (hybrid's cache fills as they read)
  let statisticsBytes = 0;
  await pool("statistics", LIBRARIES, CONCURRENCY, async (i) => {
    if (!ids[i]) return;
    const stats = await client.statistics(ids[i]);
    statisticsBytes += stats.memory_usage.bytes.total;
  });
  const final = await measure();
  const filledCost = perLibrary(baseline, final, LIBRARIES);
  const grown = final.rss.rssAnon - baseline.rss.rssAnon;
  const fixedBytes = (grown - statisticsBytes) / LIBRARIES;
  const rawFixedBytes =
    (final.rawRss.rssAnon - baseline.rawRss.rssAnon - statisticsBytes) / LIBRARIES;
  const recall = Object.fromEntries([...recallBy].map(([k, r]) => [k, r.hits / r.total]));
  const failed = Object.values(failures).reduce((s, f) => s + f.count, 0);
  const logLines = readFileSync(serverLog, "utf8").split("\n").filter(Boolean);
  const levels = logLines.map((l) => {
    try {
      return (JSON.parse(l) as { level?: number }).level ?? 0;
    } catch {
      return 0; // not a log record
    }
  });
  const serverErrors = logLines.filter((_, i) => levels[i] >= 50);
  const row = {
    libraries: LIBRARIES,
    vectors_per_library: VECTORS,
    dim: DIM,
    partitions: PARTITIONS,
    mix: MIX.map((m) => m.name),
    failures,
    create: {
      count: createMs.length,
      seconds: createS,
      p50_ms: percentile(createMs, 0.5),
      p99_ms: percentile(createMs, 0.99),
    },
    upsert: {
      count: upsertMs.length,
      acknowledged_s: acknowledgedS,
      applied_and_trained_s: readyS,
    },
    search: {
      count: searchMs.length,
      qps: searchMs.length / searchS,
      p50_ms: percentile(searchMs, 0.5),
      p99_ms: percentile(searchMs, 0.99),
      recall_at_10: recall,
    },
    memory: {
      malloc_trimmed: baseline.trimmed && empty.trimmed && final.trimmed,
      baseline_rss_anon_bytes: baseline.rss.rssAnon,
      final_rss_anon_bytes: final.rss.rssAnon,
      rss_anon_growth_bytes: grown,
      statistics_memory_usage_bytes: statisticsBytes,
      fixed_cost_per_library_bytes: fixedBytes,
      raw_fixed_cost_per_library_bytes: rawFixedBytes,
      empty_library: emptyCost,
      library_of_vectors: filledCost,
    },
    server_log: {
      warnings: levels.filter((l) => l === 40).length,
      errors: serverErrors.length,
      first_errors: serverErrors.slice(0, 5),
    },
    load_average: loadavg(),
  };
  const kib = (b: number) => (b / KiB).toFixed(1);
  console.log(
    `\n| libraries | vectors | failures | search p50 / p99 ms | QPS | RssAnon growth | statistics' memory_usage | fixed cost per library (untrimmed) |\n|---|---|---|---|---|---|---|---|\n` +
      `| ${LIBRARIES} x ${PARTITIONS} partitions | ${LIBRARIES * VECTORS} x ${DIM}-d | ${failed} | ${row.search.p50_ms.toFixed(2)} / ${row.search.p99_ms.toFixed(2)} | ${row.search.qps.toFixed(0)} | ${(grown / KiB / KiB).toFixed(0)} MiB | ${(statisticsBytes / KiB / KiB).toFixed(0)} MiB | ${kib(fixedBytes)} KiB (${kib(rawFixedBytes)} KiB) |`,
  );
  const costRow = (name: string, c: typeof emptyCost) =>
    `| ${name} | ${kib(c.rss_anon_bytes)} (${kib(c.raw_rss_anon_bytes)}) | ${kib(c.metrics_memory_usage_bytes)} | ${kib(c.kernel_regions_bytes)} / ${kib(c.kernel_touched_bytes)} | ${kib(c.main_heap_used_bytes)} | ${kib(c.worker_heaps_used_bytes)} | ${kib(c.main_external_bytes + c.worker_external_bytes)} | ${c.series.toFixed(2)} | ${Object.entries(
      c.disk_bytes,
    )
      .map(([k, v]) => `${k} ${kib(v)}`)
      .join(", ")} |`;
  console.log(
    `\n| per library, KiB | RssAnon after GC + trim (before) | memory_usage | kernel memory: regions / touched | main JS heap | workers' JS heaps | external | series | on disk |\n|---|---|---|---|---|---|---|---|---|\n` +
      `${costRow("empty", emptyCost)}\n${costRow(`${VECTORS} vectors`, filledCost)}`,
  );
  console.log(`recall@10 by strategy: ${JSON.stringify(recall)}`);
  if (failed > 0) console.log(`FAILURES: ${JSON.stringify(failures, null, 1)}`);
  console.log(
    `server log (${serverLog}): ${row.server_log.warnings} warnings, ${serverErrors.length} errors${serverErrors.length > 0 ? `, first: ${serverErrors[0]}` : ""}`,
  );
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(
    outFile,
    JSON.stringify(
      { meta: { date: new Date().toISOString(), node: process.version }, rows: [row] },
      null,
      1,
    ),
  );
  console.log(`wrote ${outFile}`);
} finally {
  serve.kill("SIGTERM");
  await new Promise((r) => serve.once("exit", r));
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(probe.dir, { recursive: true, force: true });
}
