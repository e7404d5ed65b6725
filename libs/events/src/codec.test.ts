import { encode } from "@msgpack/msgpack";
import { describe, expect, it } from "vitest";
import { decodeEvent, encodeEvent } from "./codec.js";
import { EventErrorCode, isEventDecodeError } from "./errors.js";
import type { QuiverEvent } from "./events.js";
import { partitionOf, partitionOfSubject, partitionSubject } from "./subjects.js";

const upsert: QuiverEvent = {
  type: "vectors.upserted",
  libraryId: "lib_1",
  ids: ["a", "b", "c"],
  dimension: 4,
  vectors: new Float32Array([1, 2, 3, 4, 0.5, -1e-8, 3e38, 7, 9, 10, 11, 12]),
  metadata: [{ genre: "news", year: 2021 }, null, { tags: ["x", "y"], nested: { a: 1 } }],
};

const samples: QuiverEvent[] = [
  {
    type: "library.created",
    libraryId: "lib_1",
    tenantId: "t1",
    name: "docs",
    dimension: 4,
    metric: "cosine",
    indexType: "hnsw",
    hnsw: { m: 16, ef_construction: 200, ef_search: 64 },
    quantization: { strategy: "scalar", bits: 8, calibration_samples: 10_000 },
    createdAtMs: 1_764_000_000_000,
  },
  { type: "library.config_changed", libraryId: "lib_1", quantization: { strategy: "none" } },
  { type: "library.deleted", libraryId: "lib_1" },
  upsert,
  { type: "vectors.deleted", libraryId: "lib_1", ids: ["a", "zz"] },
  {
    type: "migration.started",
    libraryId: "lib_1",
    migrationId: "mig_1",
    from: { strategy: "none" },
    to: { strategy: "product", subvectors: 2, codebook_size: 256, training_samples: 50_000 },
  },
  {
    type: "migration.progressed",
    libraryId: "lib_1",
    migrationId: "mig_1",
    partition: 3,
    done: 10,
    total: 20,
  },
  { type: "migration.completed", libraryId: "lib_1", migrationId: "mig_1" },
  {
    type: "migration.failed",
    libraryId: "lib_1",
    migrationId: "mig_1",
    reason: "shard 2 ran out of memory",
  },
  {
    type: "migration.cancelled",
    libraryId: "lib_1",
    migrationId: "mig_1",
    reason: "cancelled by the user",
  },
  {
    type: "policy.decision",
    libraryId: "lib_1",
    decision: { strategy: "scalar", bits: 8, calibration_samples: 10_000 },
    inputs: { memory_bytes: 1e9, recall_at_10: 0.97 },
    reason: "over budget",
  },
  {
    type: "recall.measured",
    libraryId: "lib_1",
    recallAt10: 0.9123,
    recallAt100: 0.875,
    sampleSize: 200,
    numVectors: 20_000,
    strategy: "product",
    measuredAtMs: 1_764_000_000_123,
    durationMs: 1234.5,
  },
  {
    type: "migration.started",
    libraryId: "lib_1",
    migrationId: "mig_2",
    from: { strategy: "none" },
    to: { strategy: "scalar", bits: 8, calibration_samples: 1000 },
    trainingId: "trn_1",
  },
  {
    type: "quantizer.trained",
    libraryId: "lib_1",
    trainingId: "trn_1",
    runId: "run_1",
    config: { strategy: "scalar", bits: 8, calibration_samples: 1000 },
    parameters: new Uint8Array([1, 2, 3, 250]),
    part: 1,
    parts: 3,
    sampleSize: 1000,
    trainedAtMs: 1_764_000_000_999,
  },
  {
    type: "library.trained",
    libraryId: "lib_1",
    trainingId: "trn_1",
    config: { strategy: "scalar", bits: 8, calibration_samples: 1000 },
    sampleSize: 1000,
    trainedAtMs: 1_764_000_000_999,
    migrationId: "mig_2",
  },
];

function decodeError(bytes: Uint8Array): { code: string; message: string } {
  try {
    decodeEvent(bytes);
  } catch (error) {
    if (isEventDecodeError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error("decoded");
}

describe("event codec", () => {
  it.each(samples.map((e) => [e.type, e] as const))("round-trips %s", (_type, event) => {
    expect(decodeEvent(encodeEvent(event))).toEqual(event);
  });

  it("carries vectors as binary float32, not as numbers", () => {
    const bytes = encodeEvent(upsert);
    const decoded = decodeEvent(bytes);
    expect(decoded.type === "vectors.upserted" && decoded.vectors).toBeInstanceOf(Float32Array);
    // 12 floats as 48 raw bytes: a JSON or msgpack-number encoding would not fit in this budget
    const withoutVectors = encodeEvent({
      ...upsert,
      ids: [],
      vectors: new Float32Array(0),
      metadata: [],
    });
    expect(bytes.length - withoutVectors.length).toBeLessThan(48 + 60 + 30);
    const big = { ...upsert, ids: Array.from({ length: 1000 }, (_, i) => `v${i}`), dimension: 128 };
    const bigEvent = {
      ...big,
      vectors: new Float32Array(1000 * 128).fill(0.1),
      metadata: Array(1000).fill(null),
    };
    expect(encodeEvent(bigEvent).length).toBeLessThan(1000 * 128 * 4 + 1000 * 10);
  });

  it("decodes vectors from an unaligned Node Buffer", () => {
    const bytes = encodeEvent(upsert);
    const pool = Buffer.alloc(bytes.length + 1);
    pool.set(bytes, 1);
    const decoded = decodeEvent(pool.subarray(1));
    expect(decoded).toEqual(upsert);
  });

  it("rejects an unknown version and an unknown type", () => {
    expect(decodeError(encode({ v: 2, t: "library.deleted", libraryId: "x" })).code).toBe(
      EventErrorCode.UnsupportedVersion,
    );
    const unknown = decodeError(encode({ v: 1, t: "library.renamed", libraryId: "x" }));
    expect(unknown).toEqual({
      code: EventErrorCode.UnknownType,
      message: 'unknown event type "library.renamed"',
    });
  });

  it("rejects malformed events, naming the field", () => {
    expect(decodeError(new Uint8Array([0xc1])).code).toBe(EventErrorCode.Malformed);
    expect(decodeError(encode([1, 2])).code).toBe(EventErrorCode.Malformed);
    expect(
      decodeError(encode({ v: 1, t: "vectors.deleted", libraryId: "x", ids: [1] })).message,
    ).toBe("vectors.deleted: ids must be an array of non-empty strings");
    const wire = {
      v: 1,
      t: "vectors.upserted",
      libraryId: "x",
      ids: ["a"],
      dimension: 4,
      metadata: [null],
    };
    expect(decodeError(encode({ ...wire, vectors: new Uint8Array(12) })).message).toBe(
      "vectors.upserted: vectors must be 1 x 4 float32 values",
    );
    expect(decodeError(encode({ ...wire, vectors: new Uint8Array(15) })).code).toBe(
      EventErrorCode.Malformed,
    );
    expect(decodeError(encode({ v: 1, t: "library.deleted" })).message).toBe(
      "library.deleted: libraryId must be a non-empty string",
    );
    const measured = samples.find((e) => e.type === "recall.measured") as QuiverEvent;
    const { type: _type, ...fields } = measured;
    expect(
      decodeError(encode({ v: 1, t: measured.type, ...fields, recallAt10: 1.2 })).message,
    ).toBe("recall.measured: recallAt10 must be a number in [0, 1]");
    expect(decodeError(encode({ v: 1, t: measured.type, ...fields, sampleSize: -1 })).message).toBe(
      "recall.measured: sampleSize must be a count",
    );
  });
});

describe("subjects and partitions", () => {
  it("maps partitions to subjects and back", () => {
    expect(partitionSubject(7)).toBe("quiver.events.p.7");
    expect(partitionOfSubject("quiver.events.p.7")).toBe(7);
    expect(partitionOfSubject("quiver.other.7")).toBe(-1);
  });

  it("spreads vector ids evenly and stably over partitions", () => {
    const counts = new Array(16).fill(0);
    for (let i = 0; i < 16_000; i++) counts[partitionOf("lib_1", `doc-${i}`, 16)]++;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(150);
    // pinned: changing the hash would move every stored vector to another partition
    expect([
      partitionOf("lib_1", "doc-1", 16),
      partitionOf("lib_1", "doc-2", 16),
      partitionOf("tenant/lib", "x", 64),
    ]).toEqual([0, 9, 13]);
    expect(partitionOf("ab", "c", 1 << 30)).not.toBe(partitionOf("a", "bc", 1 << 30));
  });
});
