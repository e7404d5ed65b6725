// npm run bench:tenants -- [--libraries 10000] [--vectors 1000] [--dim 128] [--partitions 4]
//   [--searches 20000] [--concurrency 8] [--out FILE]
// Many small libraries on one node: Quiver embedded (`quiver serve`, as `npm start` runs it) in
// a process of its own; this process creates the libraries (mixed strategies), fills each with
// its own seeded vectors, waits until every one is applied (and the trained ones switched to
// codes), then searches them in random order. Every create, upsert and search must succeed. The
// fixed cost of a library is the server's RssAnon growth beyond what its libraries' statistics
// count (memory_usage, summed over the node by its /metrics), divided by the libraries.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { QuiverClient } from "@quiver/api";
import { exactNeighbours } from "@quiver/engine";
import { clusteredGaussian, freePort } from "@quiver/testing";
import { startServe } from "./load/children.js";

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

function rssKiB(pid: number): { rss: number; anon: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
  return { rss: field("VmRSS"), anon: field("RssAnon") };
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0
    ? 0
    : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** Runs `count` tasks, `concurrency` at a time; answers each task's ms. */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>) {
  const ms: number[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const started = performance.now();
        await task(i);
        ms[i] = performance.now() - started;
      }
    }),
  );
  return ms.sort((a, b) => a - b);
}

/** Σ of every library's memory_usage total on the node: its quiver_library_memory_bytes. */
async function librariesBytes(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(
    /^quiver_library_memory_bytes\{[^}]*component="total"[^}]*\} (\S+)$/gm,
  ))
    sum += Number(m[1]);
  return sum;
}

const dataDir = mkdtempSync(join(tmpdir(), "quiver-bench-tenants-"));
const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const serve = startServe({
  QUIVER_PORT: String(port),
  QUIVER_DATA_DIR: dataDir,
  QUIVER_PARTITIONS: String(PARTITIONS),
  QUIVER_LOG_LEVEL: "warn",
  // the background recall probe would measure every library again and again
  QUIVER_PROBE_INTERVAL_MS: "0",
});
serve.stdout?.resume();
const pid = serve.pid as number;
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
  const baseline = { ...rssKiB(pid), bytes: await librariesBytes(url) };
  console.log(`baseline: RSS ${baseline.rss} KiB, RssAnon ${baseline.anon} KiB`);

  const ids: string[] = new Array(LIBRARIES);
  let started = performance.now();
  const createMs = await pool(LIBRARIES, CONCURRENCY, async (i) => {
    const lib = await client.createLibrary({
      name: `tenant-${i}`,
      dimension: DIM,
      partitions: PARTITIONS,
      quantization_config: { ...mixOf(i).config },
    });
    ids[i] = lib.id;
  });
  const createS = (performance.now() - started) / 1000;
  const empty = { ...rssKiB(pid), bytes: await librariesBytes(url) };
  console.log(
    `created ${LIBRARIES} libraries in ${createS.toFixed(0)} s (p50 ${percentile(createMs, 0.5).toFixed(1)} ms, p99 ${percentile(createMs, 0.99).toFixed(1)} ms); RssAnon +${empty.anon - baseline.anon} KiB`,
  );

  started = performance.now();
  const upsertMs = await pool(LIBRARIES, 4, async (i) => {
    const data = dataOf(i);
    await client.upsert(
      ids[i],
      Array.from({ length: VECTORS }, (_, v) => ({
        id: `v${v}`,
        vector: data.base.subarray(v * DIM, (v + 1) * DIM),
      })),
    );
  });
  const acknowledgedS = (performance.now() - started) / 1000;
  console.log(
    `upserted ${LIBRARIES * VECTORS} vectors, acknowledged in ${acknowledgedS.toFixed(0)} s (p50 ${percentile(upsertMs, 0.5).toFixed(0)} ms per request)`,
  );
  // every library applied, and the trained ones serving on codes
  const pending = new Set(ids.keys());
  while (pending.size > 0) {
    for (const i of [...pending]) {
      const stats = await client.statistics(ids[i]);
      const trained = !mixOf(i).trains || stats.state === "serving";
      if (stats.num_vectors !== VECTORS || !trained) break;
      pending.delete(i);
    }
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 1000));
  }
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
  let failures = 0;
  started = performance.now();
  const searchMs = await pool(SEARCHES, CONCURRENCY, async (s) => {
    const i = picks[s];
    const queries = queriesOf(i);
    const q = s % 5;
    const query = queries.subarray(q * DIM, (q + 1) * DIM);
    const answer = await client
      .search(ids[i], query, { k: K, include_metadata: false })
      .catch(() => undefined);
    if (!answer || answer.results.length !== K) {
      failures++;
      return;
    }
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
  const final = { ...rssKiB(pid), bytes: await librariesBytes(url) };
  const grownKiB = final.anon - baseline.anon;
  const heldKiB = (final.bytes - baseline.bytes) / 1024;
  const fixedKiB = (grownKiB - heldKiB) / LIBRARIES;
  const recall = Object.fromEntries([...recallBy].map(([k, r]) => [k, r.hits / r.total]));
  const row = {
    libraries: LIBRARIES,
    vectors_per_library: VECTORS,
    dim: DIM,
    partitions: PARTITIONS,
    mix: MIX.map((m) => m.name),
    create: {
      seconds: createS,
      p50_ms: percentile(createMs, 0.5),
      p99_ms: percentile(createMs, 0.99),
    },
    upsert: { acknowledged_s: acknowledgedS, applied_and_trained_s: readyS },
    search: {
      count: SEARCHES,
      failures,
      qps: SEARCHES / searchS,
      p50_ms: percentile(searchMs, 0.5),
      p99_ms: percentile(searchMs, 0.99),
      recall_at_10: recall,
    },
    memory: {
      baseline_rss_kib: baseline.rss,
      final_rss_kib: final.rss,
      rss_anon_growth_kib: grownKiB,
      libraries_memory_usage_kib: heldKiB,
      empty_libraries_rss_anon_growth_kib: empty.anon - baseline.anon,
      fixed_cost_per_library_kib: fixedKiB,
    },
  };
  console.log(
    `\n| libraries | vectors | searches (failed) | search p50 / p99 ms | QPS | RssAnon growth | statistics' memory_usage | fixed cost per library |\n|---|---|---|---|---|---|---|---|\n` +
      `| ${LIBRARIES} x ${PARTITIONS} partitions | ${LIBRARIES * VECTORS} x ${DIM}-d | ${SEARCHES} (${failures}) | ${row.search.p50_ms.toFixed(2)} / ${row.search.p99_ms.toFixed(2)} | ${row.search.qps.toFixed(0)} | ${(grownKiB / 1024).toFixed(0)} MiB | ${(heldKiB / 1024).toFixed(0)} MiB | ${fixedKiB.toFixed(1)} KiB |`,
  );
  console.log(`recall@10 by strategy: ${JSON.stringify(recall)}`);
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
}
