// npm run bench:apply -- [--vectors N] [--dim D] [--restart-vectors N] [--repeats R]
//   [--logs lmdb,jetstream] [--parts apply,restart] [--out FILE]
// Apply throughput (vectors/s from log to LMDB + index) for events of 1, 100 and 1,000 vectors on
// both logs, and restart time from a snapshot against a full replay of the log.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { encodeEvent, type LibraryCreated, type QuiverEvent } from "@quiver/events";
import { type EventLog, JetStreamLog, LmdbLog } from "@quiver/log";
import { PartitionStore } from "@quiver/store";
import { clusteredGaussian, type Dataset, startNatsServer, type NatsServer } from "@quiver/testing";
import { PartitionApplier } from "../src/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    vectors: { type: "string", default: "100000" },
    dim: { type: "string", default: "128" },
    "restart-vectors": { type: "string", default: "200000" },
    repeats: { type: "string", default: "3" },
    logs: { type: "string", default: "lmdb,jetstream" },
    parts: { type: "string", default: "apply,restart" },
    out: { type: "string", default: resolve(here, "../../../bench-results/apply.json") },
  },
});
// npm runs the script in the shard's folder; a relative --out is relative to where npm was run.
const outFile = resolve(process.env.QUIVER_CALLER_CWD ?? process.cwd(), values.out);
const VECTORS = Number(values.vectors);
const DIM = Number(values.dim);
const REPEATS = Number(values.repeats);
const LOGS = values.logs.split(",");
const PARTS = values.parts.split(",");
const PARTITION = 0;

const library = (indexType: "hnsw" | "flat"): LibraryCreated => ({
  type: "library.created",
  libraryId: "bench",
  tenantId: "t",
  name: "bench",
  dimension: DIM,
  metric: "l2",
  indexType,
  hnsw: { m: 16, ef_construction: 200, ef_search: 64 },
  quantization: { strategy: "none" },
  createdAtMs: 0,
});

function events(data: Dataset, count: number, batch: number): QuiverEvent[] {
  const out: QuiverEvent[] = [];
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    out.push({
      type: "vectors.upserted",
      libraryId: "bench",
      ids: Array.from({ length: n }, (_, i) => `v${start + i}`),
      dimension: DIM,
      vectors: data.base.slice(start * DIM, (start + n) * DIM),
      metadata: Array.from({ length: n }, (_, i) => ({ n: start + i })),
    });
  }
  return out;
}

interface LogHandle {
  log: EventLog;
  close(): Promise<void>;
}

/** A fresh log: an LMDB directory, or a nats-server of its own (container or process). */
async function openLog(kind: string): Promise<LogHandle> {
  if (kind === "lmdb") {
    const dir = mkdtempSync(join(tmpdir(), "quiver-bench-log-"));
    const log = LmdbLog.open({ path: dir });
    return {
      log,
      close: async () => (await log.close(), rmSync(dir, { recursive: true, force: true })),
    };
  }
  const server: NatsServer = await startNatsServer();
  const log = await JetStreamLog.connect({ servers: server.url });
  return { log, close: async () => (await log.close(), await server.stop()) };
}

/** An applier of the bench partition that never snapshots on its own, restored from `store`. */
function restoredApplier(store: PartitionStore, log: EventLog): PartitionApplier {
  const applier = new PartitionApplier({
    partition: PARTITION,
    store,
    log,
    snapshotEveryEvents: Infinity,
    snapshotEveryMs: Infinity,
  });
  applier.restore();
  return applier;
}

async function appendAll(log: EventLog, all: QuiverEvent[], prefix = "e"): Promise<number> {
  const encoded = all.map((e) => encodeEvent(e));
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 256 }, async () => {
      while (next < encoded.length) {
        const i = next++;
        await log.append(PARTITION, encoded[i], `${prefix}${i}`);
      }
    }),
  );
  return (performance.now() - started) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

interface ApplyRow {
  log: string;
  index: string;
  vectors_per_event: number;
  events: number;
  vectors: number;
  append_events_per_s: number;
  apply_vectors_per_s: number;
  apply_events_per_s: number;
  apply_s_runs: number[];
}

async function applyThroughput(data: Dataset): Promise<ApplyRow[]> {
  const rows: ApplyRow[] = [];
  for (const kind of LOGS) {
    for (const index of ["flat", "hnsw"] as const) {
      for (const batch of [1, 100, 1000]) {
        const all = [library(index), ...events(data, VECTORS, batch)];
        const handle = await openLog(kind);
        const appendS = await appendAll(handle.log, all);
        const runs: number[] = [];
        for (let r = 0; r < REPEATS; r++) {
          const dir = mkdtempSync(join(tmpdir(), "quiver-bench-store-"));
          const store = PartitionStore.open({ path: dir });
          const applier = restoredApplier(store, handle.log);
          const started = performance.now();
          await applier.catchUp();
          runs.push((performance.now() - started) / 1000);
          if (store.count(PARTITION, "bench") !== VECTORS)
            throw new Error("not every vector was applied");
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        }
        await handle.close();
        const s = median(runs);
        const row: ApplyRow = {
          log: kind,
          index,
          vectors_per_event: batch,
          events: all.length,
          vectors: VECTORS,
          append_events_per_s: all.length / appendS,
          apply_vectors_per_s: VECTORS / s,
          apply_events_per_s: all.length / s,
          apply_s_runs: runs,
        };
        rows.push(row);
        console.log(
          `${kind.padEnd(9)} ${index.padEnd(4)} ${String(batch).padStart(4)} vectors/event: apply ${row.apply_vectors_per_s.toFixed(0)} vectors/s (${row.apply_events_per_s.toFixed(0)} events/s), append ${row.append_events_per_s.toFixed(0)} events/s`,
        );
      }
    }
  }
  return rows;
}

interface RestartRow {
  log: string;
  vectors: number;
  snapshot_bytes: number;
  restart_from_snapshot_s: number;
  restart_from_snapshot_plus_tail_s: number;
  tail_vectors: number;
  full_replay_s: number;
}

async function restartTime(kind: string, data: Dataset, count: number): Promise<RestartRow> {
  const tail = Math.floor(count / 20);
  const all = [library("hnsw"), ...events(data, count - tail, 1000)];
  const handle = await openLog(kind);
  await appendAll(handle.log, all);
  const dir = mkdtempSync(join(tmpdir(), "quiver-bench-restart-"));
  let store = PartitionStore.open({ path: dir });
  const first = restoredApplier(store, handle.log);
  await first.catchUp();
  await first.snapshot();
  const snapshotBytes = store.snapshotInfo(PARTITION, "bench")?.bytes ?? 0;
  await store.close();

  const timeRestore = async () => {
    store = PartitionStore.open({ path: dir });
    const started = performance.now();
    const applier = restoredApplier(store, handle.log);
    await applier.catchUp();
    const s = (performance.now() - started) / 1000;
    return { applier, s };
  };
  const fromSnapshot = median(await Promise.all([0].map(async () => (await timeRestore()).s)));
  await store.close();

  // a tail of vectors after the snapshot: restored from the store's dirty ids
  const tailEvents = events(
    { ...data, base: data.base.subarray((count - tail) * DIM, count * DIM) } as Dataset,
    tail,
    1000,
  ).map((e) => ({ ...e, ids: (e as { ids: string[] }).ids.map((id) => `t${id}`) }) as QuiverEvent);
  await appendAll(handle.log, tailEvents, "tail");
  store = PartitionStore.open({ path: dir });
  const applyTail = restoredApplier(store, handle.log);
  await applyTail.catchUp();
  await store.close();
  const { s: plusTail } = await timeRestore();
  if (store.count(PARTITION, "bench") !== count) throw new Error("the restart lost vectors");
  await store.close();
  rmSync(dir, { recursive: true, force: true });

  // full replay: an empty store applies the whole log
  const replayDir = mkdtempSync(join(tmpdir(), "quiver-bench-replay-"));
  const replayStore = PartitionStore.open({ path: replayDir });
  const replay = restoredApplier(replayStore, handle.log);
  const started = performance.now();
  await replay.catchUp();
  const fullReplay = (performance.now() - started) / 1000;
  await replayStore.close();
  rmSync(replayDir, { recursive: true, force: true });
  await handle.close();
  const row = {
    log: kind,
    vectors: count,
    snapshot_bytes: snapshotBytes,
    restart_from_snapshot_s: fromSnapshot,
    restart_from_snapshot_plus_tail_s: plusTail,
    tail_vectors: tail,
    full_replay_s: fullReplay,
  };
  console.log(
    `${kind}: ${count} vectors: restart from snapshot ${fromSnapshot.toFixed(2)} s, snapshot + ${tail} vectors after it ${plusTail.toFixed(2)} s, full replay ${fullReplay.toFixed(1)} s`,
  );
  return row;
}

const data = clusteredGaussian({
  baseCount: Math.max(VECTORS, Number(values["restart-vectors"])),
  queryCount: 1,
  dim: DIM,
  seed: 11,
});
console.log(
  `apply throughput: ${VECTORS} vectors of ${DIM} dimensions, medians of ${REPEATS} runs`,
);
const apply = PARTS.includes("apply") ? await applyThroughput(data) : [];
console.log(
  `\nrestart of a partition of ${values["restart-vectors"]} vectors (HNSW, M=16, ef_construction=200)`,
);
const restart: RestartRow[] = [];
if (PARTS.includes("restart"))
  for (const kind of LOGS)
    restart.push(await restartTime(kind, data, Number(values["restart-vectors"])));

mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(
  outFile,
  JSON.stringify(
    {
      meta: { date: new Date().toISOString(), node: process.version, dim: DIM, vectors: VECTORS },
      apply,
      restart,
    },
    null,
    1,
  ),
);
console.log(`\nwrote ${outFile}`);
