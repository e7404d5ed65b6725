import { mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encode } from "@msgpack/msgpack";
import { encodeEvent, type LibraryCreated, type QuiverEvent } from "@quiver/events";
import { KernelWorkspace } from "@quiver/engine";
import { LmdbLog } from "@quiver/log";
import { PartitionStore } from "@quiver/store";
import { createShardMetrics } from "@quiver/telemetry";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  oversizedLibrary,
  oversizedUpsert,
  SMALL_WORKSPACE_BYTES,
} from "../test-support/oversized-library.js";
import { quantizerTrainedEvents } from "../test-support/trained-quantizer.js";
import { LibraryIndex } from "./library-index.js";
import { PartitionApplier } from "./partition-applier.js";

async function until(ok: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

const P = 3;
const DIM = 8;

const library = (
  libraryId: string,
  quantization: LibraryCreated["quantization"] = { strategy: "none" },
): LibraryCreated => ({
  type: "library.created",
  libraryId,
  tenantId: "t",
  name: libraryId,
  dimension: DIM,
  metric: "l2",
  indexType: "hnsw",
  hnsw: { m: 8, ef_construction: 64, ef_search: 32 },
  quantization,
  createdAtMs: 1,
});

function vectorOf(seed: number): Float32Array {
  const v = new Float32Array(DIM);
  for (let d = 0; d < DIM; d++) v[d] = Math.sin(seed * 7.13 + d * 1.7) * 10;
  return v;
}

function upsert(libraryId: string, ids: number[]): QuiverEvent {
  const vectors = new Float32Array(ids.length * DIM);
  ids.forEach((id, i) => vectors.set(vectorOf(id), i * DIM));
  return {
    type: "vectors.upserted",
    libraryId,
    ids: ids.map((id) => `v${id}`),
    dimension: DIM,
    vectors,
    metadata: ids.map((id) => ({ n: id })),
  };
}

/** Library `libraryId`'s quantizer trained on vectors 0..99 (training trn_1), as the log carries it. */
function trainedOnFirst100(
  libraryId: string,
  config: Parameters<typeof quantizerTrainedEvents>[0]["config"],
  parts?: number,
) {
  const rows = new Float32Array(100 * DIM);
  for (let i = 0; i < 100; i++) rows.set(vectorOf(i), i * DIM);
  return quantizerTrainedEvents({
    libraryId,
    trainingId: "trn_1",
    config,
    dimension: DIM,
    rows,
    n: 100,
    parts,
  });
}

describe("PartitionApplier", () => {
  let dir: string;
  let log: LmdbLog;
  let store: PartitionStore;
  let n = 0;
  const append = (event: QuiverEvent | Uint8Array) =>
    log.append(P, event instanceof Uint8Array ? event : encodeEvent(event), `m${n++}`);
  const applier = (options: Partial<ConstructorParameters<typeof PartitionApplier>[0]> = {}) =>
    new PartitionApplier({ partition: P, store, log, ...options });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "quiver-applier-"));
    log = LmdbLog.open({ path: join(dir, "log") });
    store = PartitionStore.open({ path: join(dir, "store") });
  });
  afterEach(async () => {
    await log.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("applies libraries, upserts and deletes to the store and the index, exactly once", async () => {
    await append(library("lib"));
    await append(upsert("lib", [1, 2, 3, 4, 5]));
    await append(upsert("lib", [3]));
    await append({ type: "vectors.deleted", libraryId: "lib", ids: ["v2", "v9"] });
    const a = applier();
    a.restore();
    expect(await a.catchUp()).toBe(await log.lastSeq(P));
    expect(store.count(P, "lib")).toBe(4);
    expect(store.metadata(P, "lib", store.internalId(P, "lib", "v5") ?? -1)).toEqual({ n: 5 });
    const index = a.index("lib");
    expect(index?.size).toBe(4);
    const hit = index?.search(vectorOf(4), 1);
    expect(store.vectorId(P, "lib", hit?.ids[0] ?? -1)).toBe("v4");
    // everything again: nothing changes
    for (const entry of await log.read(P, 1, 100)) await a.apply(entry);
    expect(store.count(P, "lib")).toBe(4);
    expect(index?.size).toBe(4);
  });

  it("inserts a large batch in slices: the thread answers in between, and waitFor sees it whole", async () => {
    const ids = Array.from({ length: 3000 }, (_, i) => i);
    await append(library("lib"));
    const a = applier();
    a.restore();
    await a.catchUp();
    await append(upsert("lib", ids));
    const last = await log.lastSeq(P);
    const waited = a.waitFor(last, 60_000).then(() => a.index("lib")?.size);
    const applying = a.catchUp();
    // searches run while the batch is being inserted, on the index as it stands
    const seen: number[] = [];
    let done = false;
    void applying.then(() => (done = true));
    while (!done) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      const index = a.index("lib");
      if (index && index.size > 0) index.search(vectorOf(1), 3);
      seen.push(index?.size ?? 0);
    }
    expect(await waited).toBe(3000);
    const partial = seen.filter((n) => n > 0 && n < 3000);
    expect(partial.length).toBeGreaterThan(3);
    // sizes only grow while a batch applies
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]);
  });

  it("applies an event larger than a transaction's bytes alone, between smaller ones", async () => {
    await append(library("lib"));
    await append(upsert("lib", [0]));
    const big = encodeEvent(
      upsert(
        "lib",
        Array.from({ length: 10_000 }, (_, i) => i + 1),
      ),
    );
    expect(big.byteLength).toBeGreaterThan(256 * 1024);
    await append(big);
    await append(upsert("lib", [20_000]));
    const a = applier();
    a.restore();
    expect(await a.catchUp()).toBe(await log.lastSeq(P));
    expect(a.status().state).not.toBe("halted");
    expect(store.count(P, "lib")).toBe(10_002);
    expect(a.index("lib")?.size).toBe(10_002);
  });

  it("dead-letters what it cannot apply, with the reason, and keeps going", async () => {
    const metrics = createShardMetrics();
    await append(library("lib"));
    await append(new Uint8Array([0xc1, 0x00]));
    await append(encode({ v: 1, t: "library.renamed", libraryId: "lib" }));
    await append(upsert("nope", [1]));
    await append({
      ...upsert("lib", [1]),
      dimension: 4,
      vectors: new Float32Array(4),
    } as QuiverEvent);
    const nan = upsert("lib", [2]) as Extract<QuiverEvent, { type: "vectors.upserted" }>;
    nan.vectors[3] = Number.NaN;
    await append(nan);
    await append({ ...library("lib"), dimension: 99 });
    await append(upsert("lib", [7]));
    const a = applier({ metrics });
    a.restore();
    await a.catchUp();
    const letters = store.deadLetters(P).map((l) => l.code);
    expect(letters).toEqual([
      "MALFORMED_EVENT",
      "UNKNOWN_EVENT_TYPE",
      "UNKNOWN_LIBRARY",
      "DIMENSION_MISMATCH",
      "INVALID_VECTOR",
      "LIBRARY_EXISTS",
    ]);
    expect(store.deadLetters(P)[3].reason).toBe(
      "vectors of dimension 4 for library lib of dimension 8",
    );
    expect(Array.from(store.deadLetters(P)[0].data)).toEqual([0xc1, 0x00]);
    expect(store.count(P, "lib")).toBe(1);
    expect(a.appliedSeq).toBe(await log.lastSeq(P));
    const text = await metrics.registry.metrics();
    expect(text).toContain(
      `quiver_events_dead_lettered_total{partition="${P}",reason="UNKNOWN_LIBRARY"} 1`,
    );
  });

  it("restores from a snapshot plus the changes made after it", async () => {
    await append(library("lib"));
    for (let i = 0; i < 30; i++) await append(upsert("lib", [i * 2, i * 2 + 1]));
    const first = applier({ snapshotEveryEvents: 20 });
    first.restore();
    await first.catchUp();
    expect(store.snapshotInfo(P, "lib")?.seq).toBeGreaterThan(0);
    await append({ type: "vectors.deleted", libraryId: "lib", ids: ["v0", "v59"] });
    await append(upsert("lib", [1000]));
    await first.catchUp();
    // the last changes are after the snapshot: only the dirty ids can bring them back
    expect(store.snapshotInfo(P, "lib")?.seq).toBeLessThan(first.appliedSeq);
    expect(store.dirtyIds(P, "lib")).toEqual([0, 59]); // v1000 took the id v0 freed
    // a new process on the same store: snapshot + dirty ids, no log replay needed
    const second = applier();
    second.restore();
    const restored = second.index("lib");
    expect(restored?.size).toBe(59);
    for (const id of [1, 30, 1000]) {
      const hit = restored?.search(vectorOf(id), 1);
      expect(store.vectorId(P, "lib", hit?.ids[0] ?? -1)).toBe(`v${id}`);
    }
    const zero = restored?.search(vectorOf(0), 3);
    for (const id of zero?.ids ?? []) expect(store.vectorId(P, "lib", id)).not.toBe("v0");
  });

  it("rebuilds from the stored vectors a library whose snapshot file is torn, and snapshots it again", async () => {
    await append(library("lib"));
    await append(upsert("lib", [1, 2, 3, 4]));
    const first = applier();
    first.restore();
    await first.catchUp();
    await first.snapshot();
    const info = store.snapshotInfo(P, "lib");
    expect(info).toMatchObject({ file: true, generation: 1 });
    // an OS crash that lost the file's last pages, not the store's record of it
    const path = join(dir, "store", "snapshots", String(P), "lib.1.snap");
    truncateSync(path, (info?.bytes ?? 0) - 1);
    writeFileSync(join(dir, "store", "snapshots", String(P), "lib.7.snap"), "stray");
    const second = applier();
    second.restore();
    expect(second.index("lib")?.size).toBe(4);
    const hit = second.index("lib")?.search(vectorOf(3), 1);
    expect(store.vectorId(P, "lib", hit?.ids[0] ?? -1)).toBe("v3");
    expect(readdirSync(join(dir, "store", "snapshots", String(P)))).toEqual(["lib.1.snap"]);
    await second.snapshot();
    expect(store.snapshotInfo(P, "lib")?.generation).toBe(2);
    expect(store.readSnapshot(P, "lib")).toBeDefined();
    expect(readdirSync(join(dir, "store", "snapshots", String(P)))).toEqual(["lib.2.snap"]);
  });

  it("starts no snapshot after the time it is given: the libraries left restore from the log", async () => {
    for (const id of ["a", "b"]) {
      await append(library(id));
      await append(upsert(id, [1, 2, 3]));
    }
    const first = applier();
    first.restore();
    await first.catchUp();
    await first.snapshot(performance.now()); // a stop with no time left
    expect(store.snapshotInfo(P, "a")).toBeUndefined();
    expect(store.snapshotInfo(P, "b")).toBeUndefined();
    await first.snapshot();
    expect(store.snapshotInfo(P, "a")?.seq).toBe(first.appliedSeq);
    const second = applier();
    second.restore();
    expect(second.index("b")?.size).toBe(3);
  });

  it("searches exactly until its trained quantizer arrives, then builds on codes in the background and switches, also after a restart", async () => {
    const scalar = { strategy: "scalar", bits: 8, calibration_samples: 100 } as const;
    await append(library("q", scalar));
    for (let i = 0; i < 150; i++) await append(upsert("q", [i]));
    const a = applier();
    a.restore();
    await a.catchUp();
    void a.run();
    // enough vectors, but no training yet: the partition never trains by itself
    expect(a.index("q")?.phase).toBe("exact");
    const events = trainedOnFirst100("q", scalar, 3);
    // a torn run (its last part never came) and a complete one: the complete one is used
    await append({ ...events[0], runId: "torn" });
    for (const event of events) await append(event);
    await until(() => a.index("q")?.phase === "quantized");
    expect(store.library(P, "q")?.training).toMatchObject({
      trainingId: "trn_1",
      state: "switched",
    });
    expect(Array.from(store.quantizer(P, "q") ?? [])).toEqual(
      Array.from(store.trainedQuantizer(P, "q", "trn_1") ?? [1]),
    );
    const hit = a.index("q")?.search(vectorOf(42), 1);
    expect(store.vectorId(P, "q", hit?.ids[0] ?? -1)).toBe("v42");
    await a.stop();
    const b = applier();
    b.restore();
    expect(b.index("q")?.phase).toBe("quantized");
    expect(b.index("q")?.size).toBe(150);
  });

  it("keeps a library's exact phase in a transient kernel memory and gives it back when the codes replace it", async () => {
    const scalar = { strategy: "scalar", bits: 8, calibration_samples: 100 } as const;
    const workspace = new KernelWorkspace();
    await append(library("f"));
    await append(library("q", scalar));
    await append(upsert("f", [1, 2, 3]));
    for (let i = 0; i < 300; i += 50)
      await append(
        upsert(
          "q",
          Array.from({ length: 50 }, (_, j) => i + j),
        ),
      );
    const a = applier({ workspace });
    a.restore();
    await a.catchUp();
    void a.run();
    expect(a.index("q")?.phase).toBe("exact");
    const exact = workspace.figures();
    expect(exact.transientMemories).toBe(1);
    expect(exact.transientCommittedBytes).toBeGreaterThan(300 * DIM * 4);
    const events = trainedOnFirst100("q", scalar);
    for (const event of events) await append(event);
    await until(() => a.index("q")?.phase === "quantized");
    const quantized = workspace.figures();
    expect(quantized.transientMemories).toBe(0);
    expect(quantized.transientCommittedBytes).toBe(0);
    expect(quantized.memories).toBe(1);
    expect(quantized.committedBytes).toBeLessThan(exact.committedBytes);
    expect(a.index("f")?.size).toBe(3);
    const hit = a.index("q")?.search(vectorOf(42), 1);
    expect(store.vectorId(P, "q", hit?.ids[0] ?? -1)).toBe("v42");
    await a.stop();
  });

  it("a library whose index cannot be built fails alone; the partition and its other libraries go on", async () => {
    await append(library("good"));
    await append(library("bad"));
    const make = LibraryIndex.create.bind(LibraryIndex);
    const spy = vi.spyOn(LibraryIndex, "create").mockImplementation((record, ...rest) => {
      if (record.libraryId === "bad") {
        throw new RangeError("WebAssembly.Memory(): could not allocate memory");
      }
      return make(record, ...rest);
    });
    const metrics = createShardMetrics();
    const a = applier({ metrics });
    a.restore();
    // an empty library holds no index
    await a.catchUp();
    expect(a.index("good")).toBeUndefined();
    await append(upsert("bad", [1, 2]));
    await append(upsert("good", [1, 2, 3]));
    await append(upsert("bad", [3]));
    await a.catchUp();
    spy.mockRestore();
    expect(a.status().state).not.toBe("halted");
    expect(a.appliedSeq).toBe(await log.lastSeq(P));
    expect(a.index("good")?.size).toBe(3);
    expect(a.index("bad")).toBeUndefined();
    expect(a.libraryFailure("bad")).toMatch(/could not allocate memory/);
    expect(a.libraries().sort()).toEqual(["bad", "good"]);
    // its events are stored: a restore serves it again
    expect(store.count(P, "bad")).toBe(3);
    expect(await metrics.registry.metrics()).toContain(
      `quiver_library_index_failures_total{partition="${P}"} 1`,
    );
    const b = applier();
    b.restore();
    expect(b.libraryFailure("bad")).toBeUndefined();
    expect(b.index("bad")?.size).toBe(3);
  });

  it("a library that outgrows the thread's kernel memory fails alone, with the reason; the others go on in the same memory", async () => {
    // a real resource error: the workspace may hold 1 MiB, and "big" needs more (600 x 2 KiB)
    await append(library("good"));
    await append(oversizedLibrary("big"));
    await append(oversizedUpsert("big", 0, 100));
    await append(upsert("good", [1, 2]));
    await append(oversizedUpsert("big", 100, 700));
    await append(upsert("good", [3]));
    await append(oversizedUpsert("big", 700, 701));
    const metrics = createShardMetrics();
    const workspace = new KernelWorkspace({ memoryLimitBytes: SMALL_WORKSPACE_BYTES });
    const a = applier({ metrics, workspace });
    a.restore();
    await a.catchUp();
    expect(a.status()).toEqual({ state: "idle", appliedSeq: await log.lastSeq(P) });
    expect(a.libraryFailure("big")).toMatch(/at most \d+ bytes/);
    expect(a.libraryFailure("good")).toBeUndefined();
    expect(a.index("big")).toBeUndefined();
    expect(a.index("good")?.size).toBe(3);
    const hit = a.index("good")?.search(vectorOf(3), 1);
    expect(hit?.ids[0]).toBe(store.internalId(P, "good", "v3"));
    // every event of the failed library is stored, none skipped
    expect(store.count(P, "big")).toBe(701);
    expect(await metrics.registry.metrics()).toContain(
      `quiver_library_index_failures_total{partition="${P}"} 1`,
    );
    // what it held went back to the memory: the library that fits keeps growing there
    await append(upsert("good", [4, 5, 6]));
    await a.catchUp();
    expect(a.index("good")?.size).toBe(6);
    // restored where there is room, the library serves again, whole
    const b = applier();
    b.restore();
    expect(b.libraryFailure("big")).toBeUndefined();
    expect(b.index("big")?.size).toBe(701);
  });

  it("halts on an unexpected failure instead of skipping the event", async () => {
    await append(library("lib"));
    await append(upsert("lib", [1]));
    const a = applier();
    a.restore();
    const realApply = store.apply.bind(store);
    store.apply = ((p: number, seq: number, write: never) => {
      if (seq >= 2) throw new Error("disk full");
      return realApply(p, seq, write);
    }) as typeof store.apply;
    await expect(a.catchUp()).rejects.toThrow("disk full");
    expect(a.status()).toEqual({
      state: "halted",
      appliedSeq: 1,
      failedSeq: 2,
      error: "disk full",
    });
    await expect(a.catchUp()).rejects.toThrow("halted at 2");
    expect(store.count(P, "lib")).toBe(0);
    // a fresh applier (after the operator fixed the cause) applies it
    store.apply = realApply;
    const b = applier();
    b.restore();
    await b.catchUp();
    expect(store.count(P, "lib")).toBe(1);
  });

  it("follows the log live", async () => {
    await append(library("lib"));
    const a = applier();
    a.restore();
    const running = a.run();
    await append(upsert("lib", [1, 2]));
    await append(upsert("lib", [3]));
    const last = await log.lastSeq(P);
    while (a.appliedSeq < last) await new Promise((r) => setTimeout(r, 5));
    expect(a.index("lib")?.size).toBe(3);
    await a.stop();
    await running;
  });

  it("reads the live log no further ahead of what it applied than a few MiB", async () => {
    await append({ ...library("lib"), indexType: "flat" });
    const a = applier();
    a.restore();
    await a.catchUp();
    // ~16 MB of backlog in events of ~200 KB
    const per = 4_000;
    for (let e = 0; e < 80; e++)
      await append(
        upsert(
          "lib",
          Array.from({ length: per }, (_, i) => e * per + i),
        ),
      );
    const last = await log.lastSeq(P);
    const sizes = new Map<number, number>();
    let aheadMax = 0;
    const watched: typeof log = Object.create(log);
    watched.subscribe = (partition, fromSeq) => {
      const inner = log.subscribe(partition, fromSeq);
      return {
        stop: () => inner.stop(),
        async *[Symbol.asyncIterator]() {
          for await (const entry of inner) {
            sizes.set(entry.seq, entry.data.byteLength);
            let ahead = 0;
            for (const [seq, bytes] of sizes) if (seq > live.appliedSeq) ahead += bytes;
            aheadMax = Math.max(aheadMax, ahead);
            yield entry;
          }
        },
      };
    };
    const live = applier({ log: watched });
    live.restore();
    const running = live.run();
    while (live.appliedSeq < last) await new Promise((r) => setTimeout(r, 20));
    await live.stop();
    await running;
    expect(store.count(P, "lib")).toBe(80 * per);
    // the entries queued plus the batch being applied: two bounds of 4 MiB and an entry
    expect(aheadMax).toBeLessThanOrEqual(8 * 1024 * 1024 + 256 * 1024);
    expect(aheadMax).toBeGreaterThan(1024 * 1024);
  }, 30_000); // 16 MB through the log and the store: 4-7 s on a 2-core machine
});
