import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exactNeighbours, recallAtK } from "@quiver/engine";
import {
  type ConcreteQuantizationConfig,
  encodeEvent,
  type LibraryCreated,
  type QuantizationConfig,
  type QuiverEvent,
} from "@quiver/events";
import { LmdbLog } from "@quiver/log";
import { PartitionStore } from "@quiver/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PartitionApplier } from "../partition/partition-applier.js";
import { quantizerTrainedEvents } from "../test-support/trained-quantizer.js";

const P = 0;
const DIM = 16;
const LIB = "lib";
const SCALAR: ConcreteQuantizationConfig = {
  strategy: "scalar",
  bits: 8,
  calibration_samples: 500,
};
const PRODUCT: ConcreteQuantizationConfig = {
  strategy: "product",
  subvectors: 4,
  codebook_size: 64,
  training_samples: 1000,
};

const created: LibraryCreated = {
  type: "library.created",
  libraryId: LIB,
  tenantId: "t",
  name: LIB,
  dimension: DIM,
  metric: "l2",
  indexType: "hnsw",
  hnsw: { m: 8, ef_construction: 48, ef_search: 48 },
  quantization: { strategy: "none" },
  createdAtMs: 1,
};

function vectorOf(seed: number): Float32Array {
  const v = new Float32Array(DIM);
  const c = seed % 7;
  for (let d = 0; d < DIM; d++) v[d] = Math.sin(seed * 12.9898 + d * 78.233) * 3 + c * (d % 3);
  return v;
}

function upsert(from: number, count: number): QuiverEvent {
  const vectors = new Float32Array(count * DIM);
  for (let i = 0; i < count; i++) vectors.set(vectorOf(from + i), i * DIM);
  return {
    type: "vectors.upserted",
    libraryId: LIB,
    ids: Array.from({ length: count }, (_, i) => `v${from + i}`),
    dimension: DIM,
    vectors,
    metadata: Array.from({ length: count }, () => null),
  };
}

const started = (
  migrationId: string,
  from: QuantizationConfig,
  to: QuantizationConfig,
  trainingId?: string,
) =>
  ({
    type: "migration.started",
    libraryId: LIB,
    migrationId,
    from,
    to,
    ...(trainingId ? { trainingId } : {}),
  }) as const;

/** The library's quantizer for `config`, trained on its first `n` vectors, as the log carries it. */
const trained = (trainingId: string, config: ConcreteQuantizationConfig, n: number) => {
  const rows = new Float32Array(n * DIM);
  for (let i = 0; i < n; i++) rows.set(vectorOf(i), i * DIM);
  return quantizerTrainedEvents({ libraryId: LIB, trainingId, config, dimension: DIM, rows, n });
};

async function until(what: string, ok: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("PartitionMigrations", () => {
  let dir: string;
  let log: LmdbLog;
  let store: PartitionStore;
  let n = 0;
  let appliers: PartitionApplier[] = [];
  const append = (event: QuiverEvent) => log.append(P, encodeEvent(event), `m${n++}`);
  const start = async () => {
    const a = new PartitionApplier({ partition: P, store, log });
    appliers.push(a);
    a.restore();
    await a.catchUp();
    void a.run();
    return a;
  };
  const applied = async (a: PartitionApplier) => {
    const last = await log.lastSeq(P);
    await until("applied", () => a.appliedSeq === last, 30_000);
  };

  /** Recall@10 of the live index against exact search, over stored vectors as queries. */
  const recall = (a: PartitionApplier) => {
    const index = a.index(LIB);
    if (!index) throw new Error("no index");
    const rows = store.originalRows(P, LIB, DIM);
    const queries = Array.from({ length: 50 }, (_, q) => vectorOf(q * 37 + 5));
    const flat = new Float32Array(queries.length * DIM);
    queries.forEach((q, i) => flat.set(q, i * DIM));
    const truth = exactNeighbours(
      rows.values,
      rows.ids.length,
      flat,
      queries.length,
      DIM,
      10,
      "l2",
    );
    const got = queries.map((q) =>
      Array.from(index.search(q, 10).ids, (id) => rows.ids.indexOf(id)),
    );
    return recallAtK(got, truth.ids, 10, 10);
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "quiver-migrations-"));
    log = LmdbLog.open({ path: join(dir, "log") });
    store = PartitionStore.open({ path: join(dir, "store") });
    appliers = [];
  });
  afterEach(async () => {
    for (const a of appliers) await a.stop();
    await log.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("rebuilds in the background while writes go on, switches, and keeps every vector", async () => {
    await append(created);
    for (let i = 0; i < 3000; i += 500) await append(upsert(i, 500));
    const a = await start();
    await applied(a);
    await append(started("mig_1", created.quantization, SCALAR, "trn_1"));
    // the partition waits for the migration's quantizer, and serves the old index meanwhile
    await applied(a);
    expect(a.migrationProgress(LIB)).toMatchObject({ state: "building", done: 0 });
    expect(a.index(LIB)?.record.quantization).toEqual(created.quantization);
    for (const event of trained("trn_1", SCALAR, 500)) await append(event);
    // writes during the rebuild: new ids and overwrites
    for (let i = 3000; i < 3400; i += 100) await append(upsert(i, 100));
    await append(upsert(0, 50));
    await append({ type: "vectors.deleted", libraryId: LIB, ids: ["v100", "v101"] });
    await applied(a);
    await until("switched", () => a.migrationProgress(LIB)?.state === "switched");
    await applied(a);
    const index = a.index(LIB);
    expect(index?.record.quantization).toEqual(SCALAR);
    expect(index?.phase).toBe("quantized");
    expect(index?.size).toBe(3398);
    expect(store.count(P, LIB)).toBe(3398);
    expect(a.migrationProgress(LIB)).toMatchObject({ done: 3398, total: 3398 });
    expect(recall(a)).toBeGreaterThan(0.9);
    // the switch is durable: a restart serves the scalar index
    await a.stop();
    const b = await start();
    expect(b.index(LIB)?.record.quantization).toEqual(SCALAR);
    expect(b.index(LIB)?.phase).toBe("quantized");
    expect(b.index(LIB)?.size).toBe(3398);
  });

  it("resumes a rebuild after a restart, and a cancel after the switch rebuilds the old config", async () => {
    await append(created);
    for (let i = 0; i < 4000; i += 1000) await append(upsert(i, 1000));
    await append(started("mig_2", created.quantization, PRODUCT, "trn_2"));
    for (const event of trained("trn_2", PRODUCT, 1000)) await append(event);
    const a = await start();
    // stop before the rebuild can finish: the record says building
    await a.stop();
    expect(store.library(P, LIB)?.migration?.state).toBe("building");
    const b = await start();
    await until("switched", () => b.migrationProgress(LIB)?.state === "switched");
    expect(b.index(LIB)?.record.quantization).toEqual(PRODUCT);
    await append({
      type: "migration.cancelled",
      libraryId: LIB,
      migrationId: "mig_2",
      reason: "test",
    });
    await until("rolled back", () => b.migrationProgress(LIB)?.state === "rolled_back");
    expect(b.index(LIB)?.record.quantization).toEqual(created.quantization);
    expect(b.index(LIB)?.size).toBe(4000);
    expect(recall(b)).toBeGreaterThan(0.95);
  });

  it("a cancel before the switch abandons the rebuild and leaves the old index serving", async () => {
    await append(created);
    for (let i = 0; i < 2000; i += 1000) await append(upsert(i, 1000));
    const a = await start();
    await append(started("mig_3", created.quantization, PRODUCT));
    await append({
      type: "migration.cancelled",
      libraryId: LIB,
      migrationId: "mig_3",
      reason: "test",
    });
    await applied(a);
    expect(a.migrationProgress(LIB)?.state).toBe("abandoned");
    await new Promise((r) => setTimeout(r, 1500));
    expect(a.index(LIB)?.record.quantization).toEqual(created.quantization);
    expect(a.migrationProgress(LIB)?.state).toBe("abandoned");
  });
});
