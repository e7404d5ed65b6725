import { describe, expect, it } from "vitest";
import { EngineErrorCode, isEngineError } from "../errors.js";
import { recallAtK } from "../exact/recall.js";
import { METRICS } from "../metric.js";
import { ScalarQuantizer } from "../quantization/scalar-quantizer.js";
import { Rng } from "../random.js";
import { randomVectors, referenceKnn, vectorOf } from "../test-support/reference.js";
import { joinPieces } from "../snapshot/snapshot-format.js";
import { KernelWorkspace } from "../workspace/kernel-workspace.js";
import { HnswIndex } from "./hnsw-index.js";

const DIM = 24;
const N = 2000;
const data = randomVectors(N + 50, DIM, 11);
const queries = Array.from({ length: 50 }, (_, i) => vectorOf(data, DIM, N + i));

function build(
  metric: "l2" | "cosine" | "dot" = "l2",
  n = N,
  extra: Partial<ConstructorParameters<typeof HnswIndex>[0]> = {},
) {
  const index = new HnswIndex({ dim: DIM, metric, m: 12, efConstruction: 100, ...extra });
  for (let i = 0; i < n; i++) index.upsert(i, vectorOf(data, DIM, i));
  return index;
}

function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isEngineError(error) ? error.code : `not an EngineError: ${String(error)}`;
  }
  return undefined;
}

describe("HnswIndex", () => {
  it.each(METRICS)("finds the exact neighbours with an exhaustive ef (%s)", (metric) => {
    const index = build(metric, 500);
    const base = data.subarray(0, 500 * DIM);
    let hits = 0;
    for (const q of queries) {
      const want = referenceKnn(metric, base, DIM, q, 10);
      const got = Array.from(index.search(q, 10, { ef: 500 }).ids);
      hits += got.filter((id) => want.includes(id)).length;
    }
    expect(hits / (queries.length * 10)).toBeGreaterThanOrEqual(0.99);
  });

  it("returns distances in ascending order and respects k", () => {
    const index = build();
    const r = index.search(queries[0], 7);
    expect(r.ids.length).toBe(7);
    for (let i = 1; i < 7; i++) expect(r.distances[i]).toBeGreaterThanOrEqual(r.distances[i - 1]);
    expect(index.search(queries[0], 5000).ids.length).toBeLessThanOrEqual(N);
  });

  it("never returns deleted ids, and brings them back on upsert", () => {
    const index = build();
    const rng = new Rng(1);
    const deleted = new Set<number>();
    while (deleted.size < 600) deleted.add(rng.int(N));
    for (const id of deleted) expect(index.delete(id)).toBe(true);
    expect(index.delete([...deleted][0])).toBe(false);
    expect(index.size).toBe(N - 600);
    for (const q of queries) {
      const r = index.search(q, 50, { ef: 200 });
      expect(r.ids.length).toBe(50);
      for (const id of r.ids) expect(deleted.has(id)).toBe(false);
    }
    // recall against the exact answer over the live points stays high
    const live = (id: number) => id < N && !deleted.has(id);
    const found = queries.map((q) => index.search(q, 10, { ef: 100 }).ids);
    const truth = new Uint32Array(
      queries.flatMap((q) => referenceKnn("l2", data.subarray(0, N * DIM), DIM, q, 10, live)),
    );
    expect(recallAtK(found, truth, 10, 10)).toBeGreaterThan(0.95);

    const back = [...deleted][3];
    index.upsert(back, vectorOf(data, DIM, back));
    expect(index.has(back)).toBe(true);
    expect(index.search(vectorOf(data, DIM, back), 1).ids[0]).toBe(back);
  });

  it("moves an updated vector: found at its new place, not at its old one", () => {
    const index = build();
    const moved = Array.from({ length: 200 }, (_, i) => i * 7);
    // each moved id takes the vector of a query point (far from its old place)
    moved.forEach((id, i) =>
      index.upsert(
        id,
        queries[i % queries.length].map((x) => x + 1e-3 * (i + 1)),
      ),
    );
    expect(index.size).toBe(N);
    for (let i = 0; i < queries.length; i++) {
      const r = index.search(queries[i], 1, { ef: 100 });
      expect(moved[i]).toBe(r.ids[0]);
    }
    // old places no longer answer with the moved ids
    for (const id of moved.slice(50, 80)) {
      const r = index.search(vectorOf(data, DIM, id), 1, { ef: 100 });
      expect(r.ids[0]).not.toBe(id);
    }
    // the graph stays navigable for everything else
    const current = new Float32Array(data.subarray(0, N * DIM));
    moved.forEach((id, i) =>
      current.set(
        queries[i % queries.length].map((x) => x + 1e-3 * (i + 1)),
        id * DIM,
      ),
    );
    const probe = Array.from({ length: 50 }, (_, i) => vectorOf(data, DIM, 1 + i * 13));
    const found = probe.map((q) => index.search(q, 10, { ef: 100 }).ids);
    const truth = new Uint32Array(probe.flatMap((q) => referenceKnn("l2", current, DIM, q, 10)));
    expect(recallAtK(found, truth, 10, 10)).toBeGreaterThan(0.95);
  });

  it("applies a filter on admission: only matching ids, and the exact filtered answer", () => {
    const index = build();
    const even10 = (id: number) => id % 10 === 3;
    let hits = 0;
    for (const q of queries.slice(0, 20)) {
      const r = index.search(q, 10, { ef: 200, filter: even10 });
      for (const id of r.ids) expect(id % 10).toBe(3);
      const want = referenceKnn("l2", data.subarray(0, N * DIM), DIM, q, 10, even10);
      hits += Array.from(r.ids).filter((id) => want.includes(id)).length;
    }
    expect(hits / 200).toBeGreaterThan(0.95);
  });

  it("snapshots round-trip to identical results, and keep inserting identically", () => {
    const index = build("l2", 1500);
    const restored = HnswIndex.deserialize(index.serialize());
    expect(restored.size).toBe(index.size);
    for (const q of queries) {
      const a = index.search(q, 10);
      const b = restored.search(q, 10);
      expect(Array.from(b.ids)).toEqual(Array.from(a.ids));
      expect(Array.from(b.distances)).toEqual(Array.from(a.distances));
    }
    for (let i = 1500; i < N; i++) {
      index.upsert(i, vectorOf(data, DIM, i));
      restored.upsert(i, vectorOf(data, DIM, i));
    }
    index.delete(3);
    restored.delete(3);
    expect(Array.from(restored.serialize())).toEqual(Array.from(index.serialize()));
  });

  it("snapshots in pieces read from its memory, also after the memory grew between pieces", () => {
    const workspace = new KernelWorkspace();
    const index = build("l2", 1500, { workspace });
    const whole = index.serialize();
    const pieces = index.snapshotPieces();
    const before = index.store.mem.u8.buffer;
    // another owner in the workspace grows the shared memory: the first views are detached
    const other = workspace.open();
    other.alloc(32 << 20);
    expect(other.mem).toBe(index.store.mem);
    expect(index.store.mem.u8.buffer).not.toBe(before);
    expect(before.byteLength).toBe(0);
    expect(Array.from(joinPieces(pieces))).toEqual(Array.from(whole));
    const restored = HnswIndex.deserialize(joinPieces(pieces));
    for (const q of queries.slice(0, 10))
      expect(Array.from(restored.search(q, 10).ids)).toEqual(Array.from(index.search(q, 10).ids));
    other.dispose();
  });

  it("snapshots quantized indexes too", () => {
    const quantizer = ScalarQuantizer.train(data, N, DIM);
    const index = build("cosine", 800, { storage: { kind: "scalar", quantizer } });
    const restored = HnswIndex.deserialize(index.serialize());
    expect(restored.store.kind).toBe("scalar");
    for (const q of queries.slice(0, 10)) {
      expect(Array.from(restored.search(q, 5).ids)).toEqual(Array.from(index.search(q, 5).ids));
    }
  });

  it("rejects corrupt or foreign snapshots with typed errors", () => {
    const bytes = build("l2", 100).serialize();
    const wrongMagic = bytes.slice();
    wrongMagic[0] = 0x58;
    expect(errorCode(() => HnswIndex.deserialize(wrongMagic))).toBe(
      EngineErrorCode.InvalidSnapshot,
    );
    const futureVersion = bytes.slice();
    new DataView(futureVersion.buffer).setUint32(4, 99, true);
    expect(errorCode(() => HnswIndex.deserialize(futureVersion))).toBe(
      EngineErrorCode.UnsupportedSnapshotVersion,
    );
    expect(errorCode(() => HnswIndex.deserialize(bytes.subarray(0, bytes.length - 100)))).toBe(
      EngineErrorCode.InvalidSnapshot,
    );
  });

  it("rejects bad vectors, ids, k and parameters with typed errors, changing nothing", () => {
    const index = build("l2", 100);
    const good = Array.from(vectorOf(data, DIM, 0));
    expect(errorCode(() => index.upsert(500, good.slice(1)))).toBe(
      EngineErrorCode.DimensionMismatch,
    );
    expect(errorCode(() => index.upsert(500, [...good.slice(1), Number.NaN]))).toBe(
      EngineErrorCode.InvalidVector,
    );
    expect(errorCode(() => index.upsert(500, [...good.slice(1), Infinity]))).toBe(
      EngineErrorCode.InvalidVector,
    );
    expect(errorCode(() => index.upsert(500, [...good.slice(1), 1e39]))).toBe(
      EngineErrorCode.InvalidVector,
    );
    expect(errorCode(() => index.upsert(-1, good))).toBe(EngineErrorCode.InvalidId);
    expect(errorCode(() => index.upsert(1.5, good))).toBe(EngineErrorCode.InvalidId);
    expect(errorCode(() => index.search(good.slice(2), 3))).toBe(EngineErrorCode.DimensionMismatch);
    expect(errorCode(() => index.search(good, 0))).toBe(EngineErrorCode.InvalidConfig);
    expect(errorCode(() => index.search(good, 3, { ef: 0 }))).toBe(EngineErrorCode.InvalidConfig);
    expect(errorCode(() => index.search(good, 3, { ef: Number.NaN }))).toBe(
      EngineErrorCode.InvalidConfig,
    );
    expect(index.size).toBe(100);
    expect(index.has(500)).toBe(false);
    expect(errorCode(() => new HnswIndex({ dim: DIM, metric: "l2", m: 1 }))).toBe(
      EngineErrorCode.InvalidConfig,
    );
    expect(errorCode(() => new HnswIndex({ dim: 0, metric: "l2" }))).toBe(
      EngineErrorCode.InvalidConfig,
    );
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    expect(errorCode(() => new HnswIndex({ dim: 4, metric: "hamming" as any }))).toBe(
      EngineErrorCode.InvalidConfig,
    );
    try {
      index.upsert(500, [...good.slice(1), Number.NaN]);
    } catch (error) {
      expect((error as Error).message).toBe(`vector[${DIM - 1}] is NaN: must be a finite number`);
    }
  });

  it("answers an empty index with no results", () => {
    const index = new HnswIndex({ dim: DIM, metric: "l2" });
    expect(index.search(queries[0], 3).ids.length).toBe(0);
    index.upsert(42, queries[0]);
    expect(Array.from(index.search(queries[1], 3).ids)).toEqual([42]);
    index.delete(42);
    expect(index.search(queries[1], 3).ids.length).toBe(0);
  });
});

describe("HnswIndex memory usage", () => {
  it("counts what it holds: the capacity reserved, or a small start grown geometrically", () => {
    const reserved = new HnswIndex({ dim: DIM, metric: "l2", capacity: 1000 });
    const grown = new HnswIndex({ dim: DIM, metric: "l2" });
    expect(grown.memoryUsage().vectors).toBeLessThanOrEqual(64 * grown.store.recordBytes);
    for (let i = 0; i < 500; i++) {
      reserved.upsert(i, vectorOf(data, DIM, i));
      grown.upsert(i, vectorOf(data, DIM, i));
    }
    const a = reserved.memoryUsage();
    const b = grown.memoryUsage();
    const recordBytes = reserved.store.recordBytes;
    expect(a.vectors).toBeGreaterThanOrEqual(1000 * recordBytes);
    expect(a.vectors).toBeLessThan(1000 * recordBytes + 64);
    // grown by half at a time: between 500 and 750 rows, and as many graph rows
    expect(b.vectors).toBeGreaterThanOrEqual(500 * recordBytes);
    expect(b.vectors).toBeLessThan(750 * recordBytes + 64);
    const row0 = (1 + 2 * 16) * 4 + 4 + 2; // links0, upperOffset, level and flags of one id
    expect(a.graph).toBeGreaterThanOrEqual(1000 * row0);
    expect(b.graph).toBeLessThan(a.graph);
    expect(a.total).toBe(a.vectors + a.quantizer + a.graph + a.originals + a.other);
  });
});
