// npm run bench:startup -- [--libraries 1000] [--records 1000000] [--partitions 2] [--runs 5]
//   [--modes embedded,cluster] [--legacy true] [--out FILE]
// How long a coordinator takes to start after a long history: `--libraries` libraries and
// `--records` probe/policy records (half recall measurements, half policy decisions). Per mode
// (embedded: the LMDB log and KV store in a data directory, `quiver serve`; cluster: a real
// nats-server with the JetStream log and the catalog's KV bucket, `apps/coordinator`) and per
// history (empty; the records as this version writes them, last-value facts in KV; with
// `--legacy`, the records as catalog events, as earlier versions appended them), it times the
// catalog's start in this process and `--runs` coordinator processes from spawn to answering
// GET /v1/libraries with every library, then SIGTERM. The legacy history also shows the catalog
// read the way it was before (from seq 1, 1,000 events per read) and the first start of this
// version over it (which replays it once, keeps the facts in KV and writes a snapshot).
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Catalog } from "@quiver/coordinator";
import { CATALOG_PARTITION, decodeEvent } from "@quiver/events";
import type { EventLog, KvStore } from "@quiver/log";
import { fmtInt, markdownTable, median } from "./service-report.js";
import {
  type HistorySize,
  writeFacts,
  writeLegacyEvents,
  writeLibraries,
} from "./startup/history.js";
import { type ProcessStart, processStart } from "./startup/process-start.js";
import { type Mode, openStore, type Store } from "./startup/stores.js";

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    libraries: { type: "string", default: "1000" },
    records: { type: "string", default: "1000000" },
    partitions: { type: "string", default: "2" },
    runs: { type: "string", default: "5" },
    modes: { type: "string", default: "embedded,cluster" },
    legacy: { type: "string", default: "true" },
    out: { type: "string", default: resolve(here, "../../../bench-results/startup.json") },
  },
});
const outFile = resolve(process.env.QUIVER_CALLER_CWD ?? process.cwd(), values.out);
const SIZE: HistorySize = {
  libraries: Number(values.libraries),
  records: Number(values.records),
  partitions: Number(values.partitions),
};
const RUNS = Math.max(1, Number(values.runs));
const ACCEPTANCE_MS = 3000;

type History = "empty" | "facts" | "legacy";

interface Row {
  mode: Mode;
  history: History;
  catalog_events: number;
  kv_facts: number;
  /** Seconds to write the history. */
  write_s?: number;
  /** The legacy history read as the catalog read it before this version (seq 1 on). */
  before_ms?: number;
  /** The first start of this version over the legacy history (replays it, writes a snapshot). */
  upgrade_ms?: number;
  /** The catalog's start in this process without a snapshot (the records as facts). */
  no_snapshot_ms?: number;
  /** The catalog's start in this process from the snapshot. */
  catalog_start_ms?: number;
  snapshot_seq?: number;
  replayed_events?: number;
  recalls_loaded?: number;
  decisions_loaded?: number;
  /** Coordinator processes, one per run. */
  processes: ProcessStart[];
  /** One-minute load average before and after the process runs. */
  load: [number, number];
}

/** The catalog's start in this process, and what it holds after (a clean stop: a snapshot). */
async function catalogStart(store: Store) {
  const catalog = new Catalog(store.log, store.kv);
  const info = await catalog.start();
  const libraries = catalog.all();
  const recalls = catalog.allRecalls().length;
  const decisions = libraries.filter((l) => catalog.lastDecision(l.libraryId)).length;
  await catalog.stop();
  return { ...info, recalls, decisions };
}

/** Reads and decodes the whole catalog 1,000 events per read, as the catalog did before. */
async function replayAsBefore(log: EventLog): Promise<number> {
  const started = performance.now();
  const last = await log.lastSeq(CATALOG_PARTITION);
  let seq = 0;
  while (seq < last) {
    const entries = await log.read(CATALOG_PARTITION, seq + 1, 1000);
    if (entries.length === 0) break;
    for (const e of entries) {
      decodeEvent(e.data);
      seq = e.seq;
    }
  }
  return Math.round(performance.now() - started);
}

/** Removes the catalog snapshot, so that the next start replays the whole catalog. */
async function dropSnapshot(kv: KvStore): Promise<void> {
  await kv.delete("catalog.snapshot");
  for (const e of await kv.list("catalog.snapshot.")) await kv.delete(e.key);
}

async function scenario(mode: Mode, history: History): Promise<Row> {
  const store = await openStore(mode);
  const libraries = history === "empty" ? 0 : SIZE.libraries;
  const row: Row = {
    mode,
    history,
    catalog_events: libraries + (history === "legacy" ? SIZE.records : 0),
    kv_facts: 0,
    processes: [],
    load: [0, 0],
  };
  try {
    if (history !== "empty") {
      const started = performance.now();
      await writeLibraries(store.log, SIZE);
      if (history === "facts") await writeFacts(store.log, store.kv, SIZE);
      else await writeLegacyEvents(store.log, SIZE);
      row.write_s = Math.round((performance.now() - started) / 100) / 10;
      console.log(`${mode}, ${history}: history written in ${row.write_s} s`);
    }
    if (history === "legacy") {
      row.before_ms = await replayAsBefore(store.log);
      row.upgrade_ms = (await catalogStart(store)).ms;
    }
    if (history === "facts") {
      await dropSnapshot(store.kv);
      row.no_snapshot_ms = (await catalogStart(store)).ms;
    }
    if (history !== "empty") {
      const start = await catalogStart(store);
      row.catalog_start_ms = start.ms;
      row.snapshot_seq = start.snapshotSeq;
      row.replayed_events = start.replayed;
      row.recalls_loaded = start.recalls;
      row.decisions_loaded = start.decisions;
    }
    row.kv_facts = (await store.kv.list("lib.")).length;
    row.load[0] = loadavg()[0];
    for (let run = 0; run < RUNS; run++)
      row.processes.push(await processStart(store, libraries, SIZE.partitions));
    row.load[1] = loadavg()[0];
  } finally {
    await store.dispose();
  }
  console.log(JSON.stringify({ ...row, processes: undefined, serving: servingOf(row) }));
  return row;
}

function servingOf(row: Row) {
  const ms = row.processes.map((p) => p.serving_ms);
  return { median_ms: median(ms), min_ms: Math.min(...ms), max_ms: Math.max(...ms) };
}

const medianOf = (row: Row, pick: (p: ProcessStart) => number | undefined) => {
  const v = row.processes.map(pick).filter((x): x is number => x !== undefined);
  return v.length ? median(v) : undefined;
};

const rows: Row[] = [];
const histories: History[] = [
  "empty",
  "facts",
  ...(values.legacy === "true" ? ["legacy" as const] : []),
];
for (const mode of values.modes.split(",") as Mode[])
  for (const history of histories) rows.push(await scenario(mode, history));

const LABEL: Record<History, string> = {
  empty: "empty",
  facts: "records as KV facts",
  legacy: "records as catalog events (earlier versions)",
};
const ms = (n: number | undefined) => (n === undefined ? "" : `${fmtInt(n)} ms`);
console.log(
  `\n${fmtInt(SIZE.libraries)} libraries, ${fmtInt(SIZE.records)} probe/policy records; ` +
    `coordinator processes: median (min-max) of ${RUNS}\n\n` +
    markdownTable(
      [
        "mode",
        "history",
        "catalog events",
        "KV facts",
        "catalog start here (from snapshot)",
        "process to serving",
        "of which boot",
        "of which catalog",
        "process CPU",
        "SIGTERM to exit",
        "load 1 min",
      ],
      rows.map((r) => {
        const s = servingOf(r);
        return [
          r.mode,
          LABEL[r.history],
          fmtInt(r.catalog_events),
          fmtInt(r.kv_facts),
          ms(r.catalog_start_ms),
          `${ms(s.median_ms)} (${fmtInt(s.min_ms)}-${fmtInt(s.max_ms)})`,
          ms(medianOf(r, (p) => p.boot_ms)),
          ms(medianOf(r, (p) => p.catalog_ms)),
          ms(medianOf(r, (p) => p.cpu_ms)),
          `${ms(medianOf(r, (p) => p.stop_ms))}${r.processes.every((p) => p.clean) ? "" : " (not clean)"}`,
          `${r.load[0].toFixed(1)}-${r.load[1].toFixed(1)}`,
        ];
      }),
    ),
);
const legacy = rows.filter((r) => r.history === "legacy");
if (legacy.length > 0) {
  console.log(
    `\nRecords as catalog events (a history of earlier versions), the catalog's start in this process\n\n` +
      markdownTable(
        ["mode", "read as before (seq 1 on)", "first start of this version", "next start"],
        legacy.map((r) => [r.mode, ms(r.before_ms), ms(r.upgrade_ms), ms(r.catalog_start_ms)]),
      ),
  );
}
const facts = rows.filter((r) => r.history === "facts");
if (facts.length > 0) {
  console.log(
    `\nRecords as KV facts, the catalog's start in this process\n\n` +
      markdownTable(
        ["mode", "without snapshot (whole catalog)", "from snapshot"],
        facts.map((r) => [r.mode, ms(r.no_snapshot_ms), ms(r.catalog_start_ms)]),
      ),
  );
}
const worst = Math.max(
  ...rows.filter((r) => r.history !== "empty").map((r) => servingOf(r).median_ms),
);
console.log(
  `\nslowest median coordinator start after a history: ${fmtInt(worst)} ms ` +
    `(acceptance: <= ${fmtInt(ACCEPTANCE_MS)} ms: ${worst <= ACCEPTANCE_MS ? "met" : "NOT met"})`,
);
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(
  outFile,
  `${JSON.stringify(
    {
      meta: {
        date: new Date().toISOString(),
        node: process.version,
        cpus: cpus().length,
        runs: RUNS,
        ...SIZE,
      },
      rows,
    },
    null,
    1,
  )}\n`,
);
console.log(`wrote ${outFile}`);
