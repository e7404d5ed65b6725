// npm run bench:cluster -- [--parts service,under-ingest,training,cores]
//   [--datasets fashion-mnist,clustered-384] [--shards 1,2] [--duration 10]
//   [--connections 8] [--queries 500] [--base N] [--deployments 0,2] [--ingest-nice 10] [--out FILE]
// Parts (all by default): service (below); under-ingest, training, cores (bench/cluster/node-parts.ts:
// search latency while another library ingests, while a product library trains, and one shard
// process with 1 vs 2 worker threads), over embedded mode (0) and shard processes (N).
// Quiver as a service, loaded from this process over HTTP: ingest vectors/s end to end
// (HTTP -> log -> shard -> LMDB + index) and search QPS / p50 / p99 through the coordinator, with
// 1 and 2 shard processes on a real nats-server; recall@10 of the answers and under metadata
// filters of 50%, 10% and 1% selectivity; the in-process engine on the same data as the baseline
// of the coordinator's overhead.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { QuiverClient } from "@quiver/api";
import { exactNeighbours, HnswIndex } from "@quiver/engine";
import {
  cachedU32,
  clusteredGaussian,
  type Dataset,
  freePort,
  loadFashionMnist,
  startNatsServer,
  subset,
} from "@quiver/testing";
import autocannon from "autocannon";
import { startLocalCluster } from "../src/local-cluster.js";
import { coresPart, trainingPart, underIngestPart } from "./cluster/node-parts.js";
import { upsertAll } from "./http-ingest.js";

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    datasets: { type: "string", default: "fashion-mnist,clustered-384" },
    shards: { type: "string", default: "1,2" },
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "8" },
    queries: { type: "string", default: "500" },
    base: { type: "string", default: "0" },
    parts: { type: "string", default: "service,under-ingest,training,cores" },
    deployments: { type: "string", default: "0,2" },
    "ingest-nice": { type: "string", default: "10" },
    out: { type: "string", default: resolve(here, "../../../bench-results/cluster.json") },
  },
});
const outFile = resolve(process.env.QUIVER_CALLER_CWD ?? process.cwd(), values.out);
const DURATION = Number(values.duration);
const CONNECTIONS = Number(values.connections);
const QUERIES = Number(values.queries);
const HNSW = { m: 16, ef_construction: 200, ef_search: 64 };
const K = 10;

function loadData(name: string): Dataset {
  const base = Number(values.base);
  if (name === "fashion-mnist") {
    const data = loadFashionMnist();
    return subset(data, base > 0 ? Math.min(base, data.baseCount) : data.baseCount, QUERIES);
  }
  if (name === "clustered-384") {
    const n = base > 0 ? base : 200_000;
    return clusteredGaussian({
      baseCount: n,
      queryCount: QUERIES,
      dim: 384,
      clusters: 256,
      seed: 384,
    });
  }
  throw new Error(`unknown data set ${name}`);
}

/** The bucket of row i: filters on it admit a known share of the rows. */
const bucketOf = (i: number) => (i * 7919) % 100;

function truth(data: Dataset, filterBelow = 100): Uint32Array {
  return cachedU32(
    `cluster-truth-${data.name}-${data.baseCount}-${data.queryCount}-b${filterBelow}`,
    () => {
      if (filterBelow >= 100) {
        return exactNeighbours(
          data.base,
          data.baseCount,
          data.queries,
          data.queryCount,
          data.dim,
          K,
          data.metric,
        ).ids;
      }
      const keep: number[] = [];
      for (let i = 0; i < data.baseCount; i++) if (bucketOf(i) < filterBelow) keep.push(i);
      const base = new Float32Array(keep.length * data.dim);
      keep.forEach((row, j) =>
        base.set(data.base.subarray(row * data.dim, (row + 1) * data.dim), j * data.dim),
      );
      const ids = exactNeighbours(
        base,
        keep.length,
        data.queries,
        data.queryCount,
        data.dim,
        K,
        data.metric,
      ).ids;
      return Uint32Array.from(ids, (j) => keep[j]);
    },
  );
}

function recall(found: string[][], expected: Uint32Array): number {
  let hits = 0;
  found.forEach((ids, q) => {
    const want = new Set(Array.from(expected.subarray(q * K, (q + 1) * K), (i) => `v${i}`));
    for (const id of ids.slice(0, K)) if (want.has(id)) hits++;
  });
  return hits / (found.length * K);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** The engine in this process, single-threaded: the floor under the coordinator's latency. */
function engineBaseline(data: Dataset) {
  const index = new HnswIndex({
    dim: data.dim,
    metric: data.metric,
    m: HNSW.m,
    efConstruction: HNSW.ef_construction,
    efSearch: HNSW.ef_search,
    capacity: data.baseCount,
  });
  for (let i = 0; i < data.baseCount; i++)
    index.upsert(i, data.base.subarray(i * data.dim, (i + 1) * data.dim));
  const latencies: number[] = [];
  const found: string[][] = [];
  for (let q = 0; q < data.queryCount; q++) {
    const started = performance.now();
    const r = index.search(data.queries.subarray(q * data.dim, (q + 1) * data.dim), K, {
      ef: HNSW.ef_search,
    });
    latencies.push(performance.now() - started);
    found.push(Array.from(r.ids, (i) => `v${i}`));
  }
  latencies.sort((a, b) => a - b);
  return {
    p50_ms: percentile(latencies, 50),
    p99_ms: percentile(latencies, 99),
    qps_single_thread: 1000 / (latencies.reduce((a, b) => a + b) / latencies.length),
    recall_at_10: recall(found, truth(data)),
  };
}

async function ingest(client: QuiverClient, libraryId: string, data: Dataset) {
  const batch = Math.max(100, Math.min(1000, Math.floor(2_000_000 / (data.dim * 10))));
  const started = performance.now();
  const ackedS = await upsertAll(client, libraryId, data, {
    batch,
    metadata: (i) => ({ bucket: bucketOf(i) }),
  });
  for (;;) {
    const lib = await client.getLibrary(libraryId);
    if (lib.num_vectors === data.baseCount) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const appliedS = (performance.now() - started) / 1000;
  return {
    batch,
    acked_vectors_per_s: data.baseCount / ackedS,
    applied_vectors_per_s: data.baseCount / appliedS,
    applied_s: appliedS,
  };
}

async function load(url: string, libraryId: string, data: Dataset, connections: number) {
  const bodies = Array.from({ length: data.queryCount }, (_, q) =>
    JSON.stringify({
      vector: Array.from(data.queries.subarray(q * data.dim, (q + 1) * data.dim)),
      k: K,
      include_metadata: false,
    }),
  );
  let n = 0;
  const result = await autocannon({
    url,
    connections,
    duration: DURATION,
    requests: [
      {
        method: "POST",
        path: `/v1/libraries/${libraryId}/search`,
        headers: { "content-type": "application/json" },
        setupRequest: (req) => ({ ...req, body: bodies[n++ % bodies.length] }),
      },
    ],
  });
  return {
    connections,
    qps: result.requests.average,
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

async function searchAll(
  client: QuiverClient,
  libraryId: string,
  data: Dataset,
  filter?: Record<string, unknown>,
) {
  const found: string[][] = [];
  const latencies: number[] = [];
  for (let q = 0; q < data.queryCount; q++) {
    const started = performance.now();
    const r = await client.search(
      libraryId,
      data.queries.subarray(q * data.dim, (q + 1) * data.dim),
      { k: K, filter, include_metadata: false },
    );
    latencies.push(performance.now() - started);
    found.push(r.results.map((h) => h.id));
  }
  latencies.sort((a, b) => a - b);
  return { found, p50_ms: percentile(latencies, 50) };
}

const parts = new Set(values.parts.split(","));
for (const part of parts) {
  if (!["service", "under-ingest", "training", "cores"].includes(part))
    throw new Error(`unknown part ${part}: service, under-ingest, training or cores`);
}
const rows: Record<string, unknown>[] = [];
for (const name of parts.has("service") ? values.datasets.split(",") : []) {
  const data = loadData(name);
  console.log(
    `\n${name}: ${data.baseCount} x ${data.dim}, ${data.queryCount} queries, HNSW M=${HNSW.m} ef_construction=${HNSW.ef_construction} ef=${HNSW.ef_search}`,
  );
  const engine = engineBaseline(data);
  console.log(
    `  in-process engine: p50 ${engine.p50_ms.toFixed(3)} ms, ${engine.qps_single_thread.toFixed(0)} QPS single-thread, recall@10 ${engine.recall_at_10.toFixed(4)}`,
  );
  for (const shards of values.shards.split(",").map(Number)) {
    const nats = await startNatsServer();
    const dir = mkdtempSync(join(tmpdir(), "quiver-bench-cluster-"));
    const cluster = await startLocalCluster({
      natsUrl: nats.url,
      dataDir: dir,
      shards,
      partitions: shards,
      replicas: 1,
      host: "127.0.0.1",
      port: await freePort(),
      logLevel: "warn",
      stdio: "ignore",
    });
    try {
      const client = new QuiverClient({ url: cluster.url, timeoutMs: 600_000 });
      const lib = await client.createLibrary({
        name: "bench",
        dimension: data.dim,
        metric: data.metric,
        hnsw_config: HNSW,
        partitions: shards,
      });
      const ingested = await ingest(client, lib.id, data);
      const sequential = await searchAll(client, lib.id, data);
      const quality = recall(sequential.found, truth(data));
      const one = await load(cluster.url, lib.id, data, 1);
      const many = await load(cluster.url, lib.id, data, CONNECTIONS);
      const filtered: Record<string, number> = {};
      for (const below of [50, 10, 1]) {
        const r = await searchAll(client, lib.id, data, { bucket: { $lt: below } });
        filtered[`recall_at_10_filter_${below}pct`] = recall(r.found, truth(data, below));
        filtered[`p50_ms_filter_${below}pct`] = r.p50_ms;
      }
      const row = {
        dataset: name,
        vectors: data.baseCount,
        dim: data.dim,
        shards,
        partitions: shards,
        ...ingested,
        recall_at_10: quality,
        search_1_connection: one,
        search_n_connections: many,
        ...filtered,
        engine,
        sequential_p50_ms: sequential.p50_ms,
        // autocannon's percentiles are whole milliseconds: the mean of one connection is finer
        mean_ms_1_connection: 1000 / one.qps,
        coordinator_overhead_ms: 1000 / one.qps - 1000 / engine.qps_single_thread,
      };
      rows.push(row);
      console.log(
        `  ${shards} shard(s): ingest ${ingested.applied_vectors_per_s.toFixed(0)} vectors/s applied (${ingested.acked_vectors_per_s.toFixed(0)} acknowledged); ` +
          `search 1 conn: ${one.qps.toFixed(0)} QPS p50 ${one.p50_ms} ms p99 ${one.p99_ms} ms; ${CONNECTIONS} conns: ${many.qps.toFixed(0)} QPS p50 ${many.p50_ms} ms p99 ${many.p99_ms} ms; ` +
          `mean at 1 connection ${(1000 / one.qps).toFixed(2)} ms (engine ${(1000 / engine.qps_single_thread).toFixed(2)} ms); recall@10 ${quality.toFixed(4)}; filtered recall@10 50%/10%/1%: ${[50, 10, 1].map((b) => filtered[`recall_at_10_filter_${b}pct`].toFixed(4)).join(" / ")}; ` +
          `errors ${one.errors + many.errors}`,
      );
    } finally {
      await cluster.stop();
      await nats.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
const nodeOptions = {
  deployments: values.deployments.split(",").map(Number),
  durationS: DURATION,
  queries: QUERIES,
  ingestNice: Number(values["ingest-nice"]),
};
const node = {
  ...(parts.has("under-ingest") && { under_ingest: await underIngestPart(nodeOptions) }),
  ...(parts.has("training") && { training: await trainingPart(nodeOptions) }),
  ...(parts.has("cores") && { cores: await coresPart(nodeOptions) }),
};
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(
  outFile,
  JSON.stringify(
    {
      meta: {
        date: new Date().toISOString(),
        node: process.version,
        duration_s: DURATION,
        connections: CONNECTIONS,
        hnsw: HNSW,
      },
      rows,
      ...node,
    },
    null,
    1,
  ),
);
console.log(`\nwrote ${outFile}`);
