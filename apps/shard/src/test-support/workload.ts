import type { Metadata, QuiverEvent } from "@quiver/events";
import type { PartitionStore } from "@quiver/store";
import type { PartitionApplier } from "../partition/partition-applier.js";

export const WORKLOAD_LIBRARY = "crash-lib";
export const WORKLOAD_DIM = 16;

/** A seeded stream of vector events on one library: upserts (new and overwrites) and deletes. */
export function* workload(events: number, idPool: number, seed: number): Generator<QuiverEvent> {
  let s = seed >>> 0;
  const random = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  yield {
    type: "library.created",
    libraryId: WORKLOAD_LIBRARY,
    tenantId: "t",
    name: "crash",
    dimension: WORKLOAD_DIM,
    metric: "l2",
    indexType: "hnsw",
    hnsw: { m: 8, ef_construction: 40, ef_search: 32 },
    quantization: { strategy: "none" },
    createdAtMs: 0,
  };
  for (let e = 0; e < events; e++) {
    const count = 1 + Math.floor(random() * 3);
    const ids = Array.from({ length: count }, () => `v${Math.floor(random() * idPool)}`);
    if (random() < 0.2) {
      yield { type: "vectors.deleted", libraryId: WORKLOAD_LIBRARY, ids };
      continue;
    }
    const vectors = new Float32Array(count * WORKLOAD_DIM);
    for (let i = 0; i < vectors.length; i++) vectors[i] = random() * 2 - 1;
    const metadata: Metadata[] = ids.map((_, i) => ({
      event: e,
      i,
      tag: random() < 0.5 ? "a" : "b",
    }));
    yield {
      type: "vectors.upserted",
      libraryId: WORKLOAD_LIBRARY,
      ids,
      dimension: WORKLOAD_DIM,
      vectors,
      metadata,
    };
  }
}

/** Order-independent digest of a set of (vector id, vector, metadata). */
export class StateDigest {
  count = 0;
  private sum = 0;
  private xor = 0;

  add(vectorId: string, vector: Float32Array, metadata: Metadata | null): void {
    let h = 0x811c9dc5;
    const mix = (byte: number) => {
      h ^= byte;
      h = Math.imul(h, 0x01000193);
    };
    for (const c of `${vectorId}\u0000${JSON.stringify(metadata)}\u0000`)
      mix(c.charCodeAt(0) & 0xff);
    for (const b of new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength)) mix(b);
    this.count++;
    this.sum = (this.sum + (h >>> 0)) >>> 0;
    this.xor = (this.xor ^ h) >>> 0;
  }

  value(): string {
    return `${this.count}:${this.sum.toString(16)}:${this.xor.toString(16)}`;
  }
}

/** Reference apply: the state after each event, kept in a Map, as the applier should produce. */
export class ReferenceState {
  private readonly vectors = new Map<string, { vector: Float32Array; metadata: Metadata | null }>();

  apply(event: QuiverEvent): void {
    if (event.type === "vectors.upserted") {
      event.ids.forEach((id, i) =>
        this.vectors.set(id, {
          vector: event.vectors.slice(i * event.dimension, (i + 1) * event.dimension),
          metadata: event.metadata[i],
        }),
      );
    } else if (event.type === "vectors.deleted") {
      for (const id of event.ids) this.vectors.delete(id);
    }
  }

  digest(): string {
    const d = new StateDigest();
    for (const [id, v] of this.vectors) d.add(id, v.vector, v.metadata);
    return d.value();
  }
}

export interface PartitionSummary {
  appliedSeq: number;
  digest: string;
  indexSize: number;
  /** The index holds exactly the stored vectors, with the same values (float32 strategy). */
  indexMatchesStore: boolean;
}

/** What a restarted applier holds: store digest and whether its index agrees with the store. */
export function summarize(
  store: PartitionStore,
  applier: PartitionApplier,
  partition: number,
): PartitionSummary {
  const digest = new StateDigest();
  const index = applier.index(WORKLOAD_LIBRARY);
  const held = new Float32Array(WORKLOAD_DIM);
  let matches = true;
  for (const v of store.vectors(partition, WORKLOAD_LIBRARY)) {
    digest.add(v.vectorId, v.vector, v.metadata);
    if (!index?.has(v.internalId)) {
      matches = false;
      continue;
    }
    index.read(v.internalId, held);
    for (let d = 0; d < WORKLOAD_DIM; d++) if (held[d] !== v.vector[d]) matches = false;
  }
  return {
    appliedSeq: applier.appliedSeq,
    digest: digest.value(),
    indexSize: index?.size ?? 0,
    indexMatchesStore: matches && (index?.size ?? 0) === digest.count,
  };
}
