// The histories bench:startup starts coordinators from: libraries created as the API creates them
// (each library.created appended to its data partitions, then to the catalog), and probe/policy
// records written the way this version writes them (last-value facts in the KV store, through the
// catalog's writers) or the way earlier versions did (recall.measured and policy.decision events
// appended to the catalog partition).
import { Catalog } from "@quiver/coordinator";
import {
  CATALOG_PARTITION,
  encodeEvent,
  type LibraryCreated,
  type PolicyDecision,
  type RecallMeasured,
} from "@quiver/events";
import type { EventLog, KvStore } from "@quiver/log";

export interface HistorySize {
  libraries: number;
  /** Probe and policy records, half of each, spread evenly over the libraries. */
  records: number;
  partitions: number;
}

/** Runs `task(i)` for i in [0, count) with `concurrency` at a time. */
async function pool(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

const libraryId = (i: number) => `lib_bench${String(i).padStart(6, "0")}`;

function created(i: number, partitions: number): LibraryCreated {
  return {
    type: "library.created",
    libraryId: libraryId(i),
    tenantId: "default",
    name: `library-${i}`,
    dimension: 128,
    metric: "l2",
    indexType: "hnsw",
    hnsw: { m: 16, ef_construction: 200, ef_search: 64 },
    // adaptive without auto-tuning: the decisions are its past, the policy leaves it alone now
    quantization: {
      strategy: "adaptive",
      max_memory_gb: 1,
      target_accuracy: 0.95,
      auto_tune: false,
      current: { strategy: "none" },
    },
    partitions,
    createdAtMs: 1_700_000_000_000 + i,
  };
}

/**
 * Record `r` of the history: a recall measurement or a policy decision (alternately), of library
 * (r / 2) mod libraries: every library gets as many of each.
 */
function record(r: number, libraries: number): RecallMeasured | PolicyDecision {
  const id = libraryId(Math.floor(r / 2) % libraries);
  const atMs = 1_700_000_000_000 + r;
  if (r % 2 === 0) {
    return {
      type: "recall.measured",
      libraryId: id,
      recallAt10: 0.9 + (r % 97) / 1000,
      recallAt100: 0.95,
      sampleSize: 200,
      numVectors: 1000 + (r % 1000),
      strategy: "none",
      measuredAtMs: atMs,
      durationMs: 40,
    };
  }
  return {
    type: "policy.decision",
    libraryId: id,
    decision: {
      strategy: "adaptive",
      max_memory_gb: 1,
      target_accuracy: 0.95,
      auto_tune: true,
      current:
        r % 4 === 1
          ? { strategy: "scalar", bits: 8, calibration_samples: 1000 }
          : { strategy: "none" },
    },
    inputs: { vectors: 1000, memory_bytes: 512_000, recall_at_10: 0.97 },
    reason: "memory above 90% of the budget",
    atMs,
  };
}

/** Appends the libraries' creation, as LibraryService.create does. */
export async function writeLibraries(log: EventLog, size: HistorySize): Promise<void> {
  await pool(size.libraries, 32, async (i) => {
    const data = encodeEvent(created(i, size.partitions));
    const id = libraryId(i);
    await Promise.all(
      Array.from({ length: size.partitions }, (_, p) => log.append(p, data, `create:${id}:${p}`)),
    );
    await log.append(CATALOG_PARTITION, data, `create:${id}`);
  });
}

/**
 * Writes the records as this version's probe and policy do: through a coordinator's catalog,
 * each one a last-value fact in the KV store.
 */
export async function writeFacts(log: EventLog, kv: KvStore, size: HistorySize): Promise<void> {
  const catalog = new Catalog(log, kv);
  await catalog.start();
  // one library's records 2 x libraries apart: concurrent writes seldom race on one key
  await pool(size.records, Math.min(256, size.libraries), async (r) => {
    const fact = record(r, size.libraries);
    if (fact.type === "recall.measured") await catalog.facts.putRecall(fact);
    else await catalog.facts.putDecision(fact);
  });
  await catalog.stop();
}

/** Appends the records as earlier versions did: one catalog event each. */
export async function writeLegacyEvents(log: EventLog, size: HistorySize): Promise<void> {
  await pool(size.records, 512, async (r) => {
    const event = record(r, size.libraries);
    await log.append(CATALOG_PARTITION, encodeEvent(event), `legacy:${r}`);
  });
}
