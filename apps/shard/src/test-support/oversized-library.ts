import type { LibraryCreated, QuiverEvent } from "@quiver/events";

/**
 * A library that a small kernel workspace cannot hold: a real resource error for the tests of a
 * library failing alone. Its rows are 2 KiB (512-d float32, flat index), so 600 of them outgrow a
 * workspace of SMALL_WORKSPACE_BYTES while a hundred fit.
 */
export const OVERSIZED_DIM = 512;
export const SMALL_WORKSPACE_BYTES = 1 << 20;

export function oversizedLibrary(libraryId: string): LibraryCreated {
  return {
    type: "library.created",
    libraryId,
    tenantId: "t",
    name: libraryId,
    dimension: OVERSIZED_DIM,
    metric: "l2",
    indexType: "flat",
    hnsw: { m: 8, ef_construction: 64, ef_search: 32 },
    quantization: { strategy: "none" },
    createdAtMs: 1,
  };
}

/** Upserts ids `b<from>` .. `b<to - 1>` of the oversized library. */
export function oversizedUpsert(libraryId: string, from: number, to: number): QuiverEvent {
  const vectors = new Float32Array((to - from) * OVERSIZED_DIM);
  for (let i = 0; i < vectors.length; i++) vectors[i] = Math.sin(from * OVERSIZED_DIM + i);
  return {
    type: "vectors.upserted",
    libraryId,
    ids: Array.from({ length: to - from }, (_, i) => `b${from + i}`),
    dimension: OVERSIZED_DIM,
    vectors,
    metadata: Array.from({ length: to - from }, () => null),
  };
}
