import type { PartitionLibrary } from "../records.js";

/** A small library record, as the store's tests write it. */
export const lib: PartitionLibrary = {
  libraryId: "lib_a",
  tenantId: "t",
  name: "a",
  dimension: 3,
  metric: "l2",
  indexType: "hnsw",
  hnsw: { m: 16, ef_construction: 200, ef_search: 64 },
  quantization: { strategy: "none" },
  createdAtMs: 1,
};

export const v = (...xs: number[]) => new Float32Array(xs);
