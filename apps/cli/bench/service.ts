// npm run bench:service -- [--duration 10] [--warmup 2] [--repeats 1] [--connections 1,8]
//   [--ef 16,20,24,32,40,64,96] [--base 60000] [--queries 1000] [--systems quiver,pgvector]
//   [--min-recall 0.99] [--out FILE]
// Quiver through its API against PostgreSQL + pgvector on Fashion-MNIST, in one run, from one
// client process: Quiver as `npm start` serves it (embedded, a child process) with a `none` and a
// `hybrid` (scalar) library; a throwaway PostgreSQL with pgvector's HNSW on vector(784) and on
// halfvec(784). For each ef and number of connections: QPS, p50, p99 and recall@10 of the
// answers (the systems take turns; with --repeats, the median of the rounds); the best QPS at
// recall >= 0.99 and the ratios; then where one Quiver request's time goes (Server-Timing).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { QuiverClient } from "@quiver/api";
import { exactNeighbours } from "@quiver/engine";
import { QUANTIZATION_DEFAULTS } from "@quiver/events";
import { cachedU32, loadFashionMnist, subset } from "@quiver/testing";
import { buildPgvector, closedLoop, PgClients, type PgKind, vectorText } from "./pgvector.js";
import { findPostgres, type Postgres, startPostgres } from "./postgres.js";
import { cpuMs, selfCpuMs } from "./process-cpu.js";
import { type QuiverProcess, startQuiver } from "./quiver-process.js";
import { answers, cannon, cannonOn, loadLibrary, searchBodies } from "./quiver-load.js";
import {
  bestAtRecall,
  fmt,
  fmtInt,
  type LatencySummary,
  markdownTable,
  median,
  phaseStats,
  ratio,
  recallAtK,
  summarize,
  type SweepPoint,
} from "./service-report.js";

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    warmup: { type: "string", default: "2" },
    repeats: { type: "string", default: "1" },
    connections: { type: "string", default: "1,8" },
    ef: { type: "string", default: "16,20,24,32,40,64,96" },
    base: { type: "string", default: "60000" },
    queries: { type: "string", default: "1000" },
    systems: { type: "string", default: "quiver,pgvector" },
    "min-recall": { type: "string", default: "0.99" },
    out: { type: "string", default: resolve(here, "../../../bench-results/service.json") },
  },
});
const outFile = resolve(process.env.QUIVER_CALLER_CWD ?? process.cwd(), values.out);
const DURATION = Number(values.duration);
const WARMUP = Number(values.warmup);
const REPEATS = Math.max(1, Number(values.repeats));
const CONNECTIONS = values.connections.split(",").map(Number);
const EFS = values.ef.split(",").map(Number);
const SYSTEMS = new Set(values.systems.split(","));
const MIN_RECALL = Number(values["min-recall"]);
const K = 10;
const HNSW = { m: 16, ef_construction: 200, ef_search: 64 };
const PHASES = [
  "parse",
  "validate",
  "route",
  "search",
  "rerank",
  "merge",
  "handler",
  "serialize",
  "total",
];
const PG_SETTINGS = { shared_buffers: "4GB", maintenance_work_mem: "2GB", max_connections: "50" };

/** One way of searching one system: a sweep point. */
interface Setting {
  label: string;
  ef: number;
  rerank_top_k?: number;
}

interface Run extends LatencySummary {
  qps: number;
  requests: number;
  errors: number;
  /** CPU ms per request of the server's processes (Quiver's; the postmaster and backends). */
  server_cpu_ms?: number;
  /** CPU ms per request of this process, the client. */
  client_cpu_ms?: number;
}

/** A system under test: its settings, how to measure recall and load at each. */
interface Target {
  system: string;
  settings: Setting[];
  recall(s: Setting): Promise<number>;
  load(s: Setting, connections: number, durationS: number): Promise<Run>;
  /** CPU ms the server's processes used so far. */
  serverCpuMs(): number;
}

interface Point extends SweepPoint, LatencySummary {
  label: string;
  requests: number;
  errors: number;
  /** QPS of each round (the point's figures are their medians). */
  qps_rounds: number[];
  server_cpu_ms: number;
  client_cpu_ms: number;
}

const data = subset(loadFashionMnist(), Number(values.base), Number(values.queries));
console.log(
  `${data.name}: ${data.baseCount} x ${data.dim}, ${data.queryCount} queries (cycled), k=${K}, HNSW M=${HNSW.m} ef_construction=${HNSW.ef_construction}; ` +
    `${DURATION} s per point after ${WARMUP} s of warm-up, ${REPEATS} round(s); connections ${CONNECTIONS.join(", ")}; ef ${EFS.join(", ")}`,
);
const truth = cachedU32(`service-truth-${data.name}-k${K}`, () => {
  console.log("exact ground truth (once, cached in .cache/) ...");
  return exactNeighbours(
    data.base,
    data.baseCount,
    data.queries,
    data.queryCount,
    data.dim,
    K,
    data.metric,
  ).ids;
});

/** What to stop at the end or when the run is interrupted (the Quiver child, PostgreSQL). */
const cleanups = new Set<() => Promise<void>>();
const stopAll = () => Promise.allSettled([...cleanups].map((stop) => stop()));
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.error(`bench:service: ${signal}, stopping the servers it started`);
    void stopAll().then(() => {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
      process.exit(130);
    });
  });
}

const builds: Record<string, unknown> = {};
const skipped: Record<string, string> = {};
const targets: Target[] = [];
/** Round trips without a search, per round: GET /healthz and SELECT 1 at 1 connection. */
const floors: Record<string, Run[]> = {};
const floorRuns: { name: string; run: (durationS: number) => Promise<Run> }[] = [];
const dirs: string[] = [];

// ---------------------------------------------------------------- Quiver (embedded, npm start)
// No background recall probe: it would search the libraries while they are measured.
const QUIVER_ENV = { QUIVER_PROBE_INTERVAL_MS: "0" };
let quiver: QuiverProcess | undefined;
let quiverDir: string | undefined;
const quiverIds: Record<string, string> = {};
const quiverSweeps: Record<string, Setting[]> = {
  none: EFS.map((ef) => ({ label: `ef=${ef}`, ef })),
  // hybrid reranks its rerank_top_k best candidates: swept with ef (every candidate reranked),
  // and at the library's defaults (ef 64, rerank_top_k 100)
  "hybrid-scalar": [
    ...EFS.map((ef) => ({ label: `ef=${ef} rerank=${ef}`, ef, rerank_top_k: ef })),
    { label: "ef=64 rerank=100 (defaults)", ef: 64, rerank_top_k: 100 },
  ],
};
const params = (s: Setting) => ({
  ef: s.ef,
  ...(s.rerank_top_k !== undefined && { rerank_top_k: s.rerank_top_k }),
});

async function setUpQuiver(): Promise<void> {
  quiverDir = mkdtempSync(join(tmpdir(), "quiver-bench-service-"));
  dirs.push(quiverDir);
  const q = await startQuiver(quiverDir, QUIVER_ENV);
  quiver = q;
  cleanups.add(q.stop);
  const client = new QuiverClient({ url: q.url, timeoutMs: 600_000 });
  const libraries = {
    none: { strategy: "none" },
    "hybrid-scalar": { strategy: "hybrid", initial_search: "scalar" },
  } as const;
  for (const [name, quantization] of Object.entries(libraries)) {
    console.log(`quiver ${name}: loading ${data.baseCount} vectors over HTTP ...`);
    const trained =
      quantization.strategy !== "none" &&
      data.baseCount >= QUANTIZATION_DEFAULTS.scalar.calibration_samples;
    const lib = await loadLibrary(
      client,
      data,
      {
        name,
        dimension: data.dim,
        metric: "l2",
        hnsw_config: HNSW,
        quantization_config: quantization,
      },
      trained,
    );
    quiverIds[name] = lib.id;
    builds[`quiver ${name}`] = { build_s: lib.build_s, memory_bytes: lib.memory_bytes };
    console.log(
      `  built in ${lib.build_s.toFixed(1)} s (ingest until applied), ${(lib.memory_bytes / 1e6).toFixed(1)} MB in statistics`,
    );
    const bodies = new Map<string, string[]>();
    const bodiesOf = (s: Setting) => {
      let b = bodies.get(s.label);
      if (!b) bodies.set(s.label, (b = searchBodies(data, params(s))));
      return b;
    };
    targets.push({
      system: `quiver ${name}`,
      settings: quiverSweeps[name],
      recall: async (s) => recallAtK(await answers(q.url, lib.id, bodiesOf(s)), truth, K),
      load: (s, connections, durationS) =>
        cannon(q.url, lib.id, bodiesOf(s), connections, durationS),
      serverCpuMs: () => cpuMs(q.pid),
    });
  }
  floorRuns.push({
    name: "quiver GET /healthz",
    run: (durationS) => cannonOn(q.url, "/healthz", [], 1, durationS),
  });
}

// ---------------------------------------------------------------- PostgreSQL + pgvector
let pgClients: PgClients | undefined;

async function setUpPgvector(): Promise<void> {
  const install = findPostgres();
  if ("missing" in install) {
    skipped.pgvector = install.missing;
    console.log(
      `\npgvector: SKIPPED — ${install.missing}. Install PostgreSQL (e.g. Debian's postgresql-15 and ` +
        "postgresql-server-dev-15) and build pgvector from its source (make && make install) to include it.",
    );
    return;
  }
  console.log(
    `\nPostgreSQL ${install.version} (${install.binDir}), pgvector ${install.vectorVersion}; ${JSON.stringify(PG_SETTINGS)}`,
  );
  const server: Postgres = await startPostgres(install, PG_SETTINGS);
  cleanups.add(server.stop);
  console.log(`pgvector: loading ${data.baseCount} rows, building the HNSW indexes ...`);
  const build = await buildPgvector(server, data, HNSW);
  builds.pgvector = build;
  console.log(
    `  rows in ${build.load_s.toFixed(1)} s; index builds float32 ${build.index_build_s.float32.toFixed(1)} s, halfvec ${build.index_build_s.halfvec.toFixed(1)} s; ` +
      `index sizes ${(build.index_bytes.float32 / 1e6).toFixed(1)} / ${(build.index_bytes.halfvec / 1e6).toFixed(1)} MB`,
  );
  const texts = Array.from({ length: data.queryCount }, (_, q) =>
    vectorText(data.queries.subarray(q * data.dim, (q + 1) * data.dim)),
  );
  const clients = await PgClients.open(server, Math.max(...CONNECTIONS), data.dim);
  pgClients = clients;
  for (const kind of ["float32", "halfvec"] as PgKind[]) {
    targets.push({
      system: `pgvector ${kind}`,
      settings: EFS.map((ef) => ({ label: `ef=${ef}`, ef })),
      recall: async (s) => {
        await clients.setEf(s.ef);
        const found: number[][] = [];
        for (const t of texts) found.push(await clients.search(0, kind, t, K));
        return recallAtK(found, truth, K);
      },
      load: async (s, connections, durationS) => {
        await clients.setEf(s.ef);
        const r = await closedLoop(connections, durationS, (w, n) =>
          clients.search(w, kind, texts[n % texts.length], K),
        );
        return {
          qps: r.requests / r.seconds,
          requests: r.requests,
          errors: r.errors,
          ...summarize(r.latencies_ms),
        };
      },
      serverCpuMs: () => cpuMs(server.pid, true),
    });
  }
  floorRuns.push({
    name: "pgvector SELECT 1",
    run: async (durationS) => {
      const r = await closedLoop(1, durationS, () => clients.ping(0));
      return {
        qps: r.requests / r.seconds,
        requests: r.requests,
        errors: r.errors,
        ...summarize(r.latencies_ms),
      };
    },
  });
}

const points: Point[] = [];
/** The 1-minute load average at the start of each round (the machine is shared). */
const loadAverages: number[] = [];
const breakdown: Record<string, unknown>[] = [];
try {
  if (SYSTEMS.has("quiver")) await setUpQuiver();
  if (SYSTEMS.has("pgvector")) await setUpPgvector();

  console.log("\nrecall@10 of the answers (every query once, one after another):");
  const recalls = new Map<string, number>();
  for (const t of targets)
    for (const s of t.settings) {
      const r = await t.recall(s);
      recalls.set(`${t.system} ${s.label}`, r);
      console.log(`  ${t.system} ${s.label}: ${r.toFixed(4)}`);
    }

  const rounds = new Map<string, Run[]>();
  for (let round = 1; round <= REPEATS; round++) {
    const load = loadavg().map((l) => l.toFixed(1));
    loadAverages.push(loadavg()[0]);
    console.log(`\nround ${round} of ${REPEATS} (load average ${load.join(" ")}):`);
    for (const f of floorRuns) {
      await f.run(WARMUP);
      const r = await f.run(DURATION);
      (floors[f.name] ??= []).push(r);
      console.log(`  floor ${f.name}: ${fmtInt(r.qps)} QPS, mean ${fmt(r.mean_ms, 3)} ms`);
    }
    for (const t of targets)
      for (const s of t.settings)
        for (const connections of CONNECTIONS) {
          await t.load(s, connections, WARMUP);
          const server0 = t.serverCpuMs();
          const client0 = selfCpuMs();
          const r = await t.load(s, connections, DURATION);
          r.server_cpu_ms = (t.serverCpuMs() - server0) / r.requests;
          r.client_cpu_ms = (selfCpuMs() - client0) / r.requests;
          const key = `${t.system}\u0000${s.label}\u0000${connections}`;
          rounds.set(key, [...(rounds.get(key) ?? []), r]);
          console.log(
            `  ${t.system.padEnd(20)} ${s.label.padEnd(28)} ${String(connections).padStart(2)} conn: ` +
              `${fmtInt(r.qps).padStart(6)} QPS  p50 ${fmt(r.p50_ms, 2)} ms  p99 ${fmt(r.p99_ms, 2)} ms  recall@10 ${fmt(recalls.get(`${t.system} ${s.label}`), 4)}  ` +
              `CPU/request server ${fmt(r.server_cpu_ms, 3)} ms client ${fmt(r.client_cpu_ms, 3)} ms` +
              (r.errors ? `  errors ${r.errors}` : ""),
          );
        }
  }
  for (const t of targets)
    for (const s of t.settings)
      for (const connections of CONNECTIONS) {
        const runs = rounds.get(`${t.system}\u0000${s.label}\u0000${connections}`) ?? [];
        points.push({
          system: t.system,
          label: s.label,
          ef: s.ef,
          ...(s.rerank_top_k !== undefined && { rerank_top_k: s.rerank_top_k }),
          connections,
          recall_at_10: recalls.get(`${t.system} ${s.label}`) ?? Number.NaN,
          qps: median(runs.map((r) => r.qps)),
          mean_ms: median(runs.map((r) => r.mean_ms)),
          p50_ms: median(runs.map((r) => r.p50_ms)),
          p99_ms: median(runs.map((r) => r.p99_ms)),
          requests: runs.reduce((a, r) => a + r.requests, 0),
          errors: runs.reduce((a, r) => a + r.errors, 0),
          qps_rounds: runs.map((r) => r.qps),
          server_cpu_ms: median(runs.map((r) => r.server_cpu_ms ?? Number.NaN)),
          client_cpu_ms: median(runs.map((r) => r.client_cpu_ms ?? Number.NaN)),
        });
      }

  // Where Quiver's time goes: the same data, the server restarted with Server-Timing on, at each
  // library's best point at the most connections (its defaults when none reaches the recall).
  if (quiver && quiverDir) {
    // hybrid's float32 cache after the sweeps: how many rerank reads went to the store
    const statsClient = new QuiverClient({ url: quiver.url });
    for (const [name, id] of Object.entries(quiverIds)) {
      const cache = (await statsClient.statistics(id)).float32_cache;
      if (cache) (builds[`quiver ${name}`] as Record<string, unknown>).float32_cache = cache;
    }
    await pgClients?.close();
    pgClients = undefined;
    await quiver.stop();
    cleanups.delete(quiver.stop);
    const q = await startQuiver(quiverDir, { ...QUIVER_ENV, QUIVER_SERVER_TIMING: "1" });
    quiver = q;
    cleanups.add(q.stop);
    console.log("\nServer-Timing (Quiver restarted with QUIVER_SERVER_TIMING=1):");
    for (const [name, sweep] of Object.entries(quiverSweeps)) {
      const system = `quiver ${name}`;
      const best = bestAtRecall(
        points.filter(
          (p) => p.system === system && p.connections === CONNECTIONS[CONNECTIONS.length - 1],
        ),
        MIN_RECALL,
      );
      const chosen =
        sweep.find((s) => s.label === best?.label) ??
        sweep.find((s) => s.ef === HNSW.ef_search) ??
        sweep[0];
      const bodies = searchBodies(data, params(chosen));
      for (const connections of CONNECTIONS) {
        await cannon(q.url, quiverIds[name], bodies, connections, WARMUP, true);
        const server0 = cpuMs(q.pid);
        const r = await cannon(q.url, quiverIds[name], bodies, connections, DURATION, true);
        const row = {
          system,
          label: chosen.label,
          connections,
          qps_with_timing: r.qps,
          server_cpu_ms: (cpuMs(q.pid) - server0) / r.requests,
          client: { mean_ms: r.mean_ms, p50_ms: r.p50_ms, p99_ms: r.p99_ms },
          phases: phaseStats(r.phases ?? [], PHASES),
        };
        breakdown.push(row);
        console.log(
          `  ${system} ${chosen.label} ${connections} conn: ${fmtInt(r.qps)} QPS, client mean ${fmt(r.mean_ms, 3)} ms; ` +
            PHASES.map((ph) => `${ph} ${fmt(row.phases[ph].mean_ms, 3)}`).join(", "),
        );
      }
    }
  }
} finally {
  await pgClients?.close().catch(() => undefined);
  await stopAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

// ---------------------------------------------------------------- report
const systems = [...new Set(points.map((p) => p.system))];
const best: Record<string, Record<number, Point | undefined>> = {};
for (const s of systems) {
  best[s] = {};
  for (const c of CONNECTIONS)
    best[s][c] = bestAtRecall(
      points.filter((p) => p.system === s && p.connections === c),
      MIN_RECALL,
    );
}
const qpsOf = (s: string, c: number) => best[s]?.[c]?.qps;
const ratios: Record<string, number | undefined> = {};
for (const c of CONNECTIONS) {
  ratios[`none / pgvector float32, ${c} conn`] = ratio(
    qpsOf("quiver none", c),
    qpsOf("pgvector float32", c),
  );
  ratios[`none / pgvector halfvec, ${c} conn`] = ratio(
    qpsOf("quiver none", c),
    qpsOf("pgvector halfvec", c),
  );
  ratios[`hybrid-scalar / none, ${c} conn`] = ratio(
    qpsOf("quiver hybrid-scalar", c),
    qpsOf("quiver none", c),
  );
}
const sweepTable = markdownTable(
  [
    "system",
    "settings",
    "connections",
    "QPS",
    "mean ms",
    "p50 ms",
    "p99 ms",
    "recall@10",
    "server CPU ms/request",
    "client CPU ms/request",
  ],
  points.map((p) => [
    p.system,
    p.label,
    p.connections,
    fmtInt(p.qps),
    fmt(p.mean_ms, 2),
    fmt(p.p50_ms, 2),
    fmt(p.p99_ms, 2),
    fmt(p.recall_at_10, 4),
    fmt(p.server_cpu_ms, 3),
    fmt(p.client_cpu_ms, 3),
  ]),
);
const bestTable = markdownTable(
  ["system", ...CONNECTIONS.flatMap((c) => [`${c} conn: best QPS`, "at", "recall@10"])],
  systems.map((s) => [
    s,
    ...CONNECTIONS.flatMap((c) => {
      const b = best[s][c];
      return b ? [fmtInt(b.qps), b.label, fmt(b.recall_at_10, 4)] : ["n/a", "-", "-"];
    }),
  ]),
);
const floorLines = Object.entries(floors).map(
  ([name, runs]) =>
    `- ${name} at 1 connection: mean ${fmt(median(runs.map((r) => r.mean_ms)), 3)} ms (${fmtInt(median(runs.map((r) => r.qps)))} QPS)`,
);
const ratioLines = Object.entries(ratios).map(
  ([k, v]) => `- ${k}: ${v === undefined ? "n/a" : `${v.toFixed(2)}x`}`,
);
const buildLines = Object.entries(builds).map(([k, v]) => `- ${k}: ${JSON.stringify(v)}`);
const phaseTable = markdownTable(
  [
    "system",
    "settings",
    "connections",
    "QPS",
    "client mean ms",
    "server CPU ms/request",
    "phase",
    "mean ms",
    "p50 ms",
    "p99 ms",
  ],
  breakdown.flatMap((b) => {
    const phases = b.phases as Record<string, LatencySummary>;
    const client = b.client as LatencySummary;
    return PHASES.map((ph, i) => [
      i === 0 ? (b.system as string) : "",
      i === 0 ? (b.label as string) : "",
      i === 0 ? String(b.connections) : "",
      i === 0 ? fmtInt(b.qps_with_timing as number) : "",
      i === 0 ? fmt(client.mean_ms, 3) : "",
      i === 0 ? fmt(b.server_cpu_ms as number, 3) : "",
      ph,
      fmt(phases[ph].mean_ms, 3),
      fmt(phases[ph].p50_ms, 3),
      fmt(phases[ph].p99_ms, 3),
    ]);
  }),
);
const markdown = [
  `## bench:service: ${data.name}, k=${K}, ${DURATION} s per point, ${REPEATS} round(s), one client process`,
  "",
  sweepTable,
  "",
  `Best QPS at recall@10 >= ${MIN_RECALL}:`,
  "",
  bestTable,
  "",
  ...ratioLines,
  ...Object.entries(skipped).map(([k, v]) => `- ${k} skipped: ${v}`),
  "",
  "Round trips without a search:",
  "",
  ...floorLines,
  "",
  "Build and memory:",
  "",
  ...buildLines,
  "",
  "Where one Quiver request's time goes (Server-Timing, ms; search includes rerank; total is from fastify's onRequest to onSend):",
  "",
  phaseTable,
].join("\n");
console.log(`\n${markdown}`);
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(
  outFile,
  JSON.stringify(
    {
      meta: {
        date: new Date().toISOString(),
        command: `npm run bench:service -- ${process.argv.slice(2).join(" ")}`.trim(),
        cpu: cpus()[0]?.model,
        cores: cpus().length,
        loadavg_at_round_start: loadAverages,
        loadavg_at_end: loadavg(),
        node: process.version,
        dataset: data.name,
        duration_s: DURATION,
        warmup_s: WARMUP,
        repeats: REPEATS,
        connections: CONNECTIONS,
        hnsw: HNSW,
        min_recall: MIN_RECALL,
        postgres_settings: PG_SETTINGS,
      },
      points,
      best,
      ratios,
      floors,
      builds,
      breakdown,
      skipped,
    },
    null,
    1,
  ),
);
const mdFile = outFile.replace(/\.json$/, "") + ".md";
writeFileSync(mdFile, markdown + "\n");
console.log(`\nwrote ${outFile} and ${mdFile}`);
