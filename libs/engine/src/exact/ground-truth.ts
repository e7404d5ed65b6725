import { FlatIndex } from "../flat/flat-index.js";
import type { Metric } from "../metric.js";

export interface Neighbours {
  /** queryCount * k ids, row by row, nearest first. */
  ids: Uint32Array;
  distances: Float32Array;
  k: number;
}

/**
 * Exact k nearest neighbours of every query by exhaustive float32 scan: the ground truth that
 * recall is measured against.
 */
export function exactNeighbours(
  base: Float32Array,
  baseCount: number,
  queries: Float32Array,
  queryCount: number,
  dim: number,
  k: number,
  metric: Metric,
  /** Called after each query with the number of queries done so far. */
  onQuery?: (done: number) => void,
): Neighbours {
  const flat = new FlatIndex({ dim, metric, capacity: baseCount });
  for (let i = 0; i < baseCount; i++) flat.upsert(i, base.subarray(i * dim, (i + 1) * dim));
  const ids = new Uint32Array(queryCount * k);
  const distances = new Float32Array(queryCount * k);
  for (let q = 0; q < queryCount; q++) {
    const r = flat.search(queries.subarray(q * dim, (q + 1) * dim), k);
    ids.set(r.ids, q * k);
    distances.set(r.distances, q * k);
    onQuery?.(q + 1);
  }
  return { ids, distances, k };
}
