// The shard-node parts of bench:cluster: search under ingest, training beside searches, cores.
// Each prints its table and answers its rows for the JSON file.
import { loadFashionMnist } from "@quiver/testing";
import { cores } from "./cores.js";
import type { MembershipReport } from "./membership-watch.js";
import { searchUnderIngest } from "./search-under-ingest.js";
import { trainingStall } from "./training-stall.js";

export interface NodePartsOptions {
  /** Deployments: 0 = embedded, N = N shard processes. */
  deployments: number[];
  durationS: number;
  queries: number;
  /** The ingest client's nice value in the under-ingest part. */
  ingestNice: number;
}

const ms = (v: number) => v.toFixed(1);

export async function underIngestPart(options: NodePartsOptions) {
  const data = loadFashionMnist();
  const rows = [];
  console.log(
    `\nsearch under ingest (Fashion-MNIST, searched library 10,000 vectors; the other ingests at full speed, its client at nice ${options.ingestNice})`,
  );
  console.log(
    "| deployment | conns | idle QPS | idle p50 | idle p99 | ingest QPS | ingest p50 | ingest p99 | ingest max | p99 ratio | ingest vectors/s |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const shards of options.deployments) {
    const part = await searchUnderIngest({
      shards,
      data,
      searched: 10_000,
      durationS: options.durationS,
      connections: [1, 8],
      queries: options.queries,
      ingestNice: options.ingestNice,
    });
    for (const r of part) {
      const { idle: i, under_ingest: b } = r;
      console.log(
        `| ${r.deployment} | ${r.connections} | ${i.qps.toFixed(0)} | ${ms(i.p50_ms)} | ${ms(i.p99_ms)} | ${b.qps.toFixed(0)} | ${ms(b.p50_ms)} | ${ms(b.p99_ms)} | ${ms(b.max_ms)} | ${r.p99_ratio.toFixed(2)} | ${r.ingest_vectors_per_s.toFixed(0)} |`,
      );
    }
    rows.push(...part);
  }
  return rows;
}

function membershipCell(m: MembershipReport | undefined): string {
  if (m === undefined) return "-";
  return `${m.losses} / ${m.moves} of ${m.checks} checks (${ms(m.max_heartbeat_age_ms)})`;
}

export async function trainingPart(options: NodePartsOptions) {
  const data = loadFashionMnist();
  const rows = [];
  console.log(
    "\ntraining beside searches (product, 4 partitions, training_samples 50,000, 784-d; another library searched at 1 connection)",
  );
  console.log(
    "| deployment | training s | trained on | idle p99 | training p99 (worst window) | ratio | /healthz p99 | /healthz max | /healthz failures | not ready | shards lost / moved (max heartbeat age) |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const shards of options.deployments) {
    const r = await trainingStall({
      shards,
      data,
      trainingSamples: 50_000,
      windowS: Math.min(5, options.durationS),
      queries: options.queries,
    });
    console.log(
      `| ${r.deployment} | ${r.training_s.toFixed(1)} | ${r.trained_sample_size} | ${ms(r.idle.p99_ms)} | ${ms(r.while_training.p99_ms)} | ${r.p99_ratio.toFixed(2)} | ${ms(r.healthz.p99_ms)} | ${ms(r.healthz.max_ms)} | ${r.healthz.failures} | ${r.not_ready} | ${membershipCell(r.membership)} |`,
    );
    rows.push(r);
  }
  return rows;
}

export async function coresPart(options: NodePartsOptions) {
  const data = loadFashionMnist();
  const rows = await cores({
    data,
    vectors: data.baseCount,
    durationS: options.durationS,
    queries: options.queries,
    workers: [1, 2],
  });
  const [one, two] = rows;
  console.log(
    "\ncores (one shard process, a 2-partition library of Fashion-MNIST 60,000; QUIVER_SHARD_WORKERS 1 and 2)",
  );
  console.log(
    "| workers | applied vectors/s | queries a request | 8-conn requests/s | queries/s | p50 | p99 |",
  );
  console.log("|---|---|---|---|---|---|---|");
  for (const r of rows) {
    for (const s of r.searches) {
      console.log(
        `| ${r.workers} | ${r.applied_vectors_per_s.toFixed(0)} | ${s.batch} | ${s.qps.toFixed(0)} | ${s.queries_per_s.toFixed(0)} | ${ms(s.p50_ms)} | ${ms(s.p99_ms)} |`,
      );
    }
  }
  const search = Object.fromEntries(
    one.searches.map((s, i) => [`batch_${s.batch}`, two.searches[i].qps / s.qps]),
  );
  const ratios = { ingest: two.applied_vectors_per_s / one.applied_vectors_per_s, search };
  console.log(
    `2 workers / 1: ingest ${ratios.ingest.toFixed(2)}x, searches ${Object.entries(search)
      .map(([k, v]) => `${k.replace("batch_", "")} a request ${v.toFixed(2)}x`)
      .join(", ")}`,
  );
  return { rows, ratios };
}
