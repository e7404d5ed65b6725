import type { Metric } from "../metric.js";
import { KernelWorkspace } from "../workspace/kernel-workspace.js";
import { ExactScan } from "./exact-scan.js";

export interface Neighbours {
  /** queryCount * k ids, row by row, nearest first. */
  ids: Uint32Array;
  distances: Float32Array;
  k: number;
}

/** Queries per pass over the base: each pass reads the base once for all of them. */
const QUERIES_PER_PASS = 32;

/**
 * Exact k nearest neighbours of every query by exhaustive float32 scan (ExactScan): the ground
 * truth that recall is measured against.
 */
export function exactNeighbours(
  base: Float32Array,
  baseCount: number,
  queries: Float32Array,
  queryCount: number,
  dim: number,
  k: number,
  metric: Metric,
  /** Called after each pass with the number of queries done so far. */
  onQuery?: (done: number) => void,
  workspace?: KernelWorkspace,
): Neighbours {
  const ws = workspace ?? new KernelWorkspace();
  const ids = new Uint32Array(queryCount * k);
  const distances = new Float32Array(queryCount * k);
  for (let first = 0; first < queryCount; first += QUERIES_PER_PASS) {
    const count = Math.min(QUERIES_PER_PASS, queryCount - first);
    const scan = new ExactScan(queries.subarray(first * dim, (first + count) * dim), count, {
      dim,
      metric,
      k,
      workspace: ws,
    });
    scan.scanRows(base, baseCount);
    scan.results().forEach((r, i) => {
      ids.set(r.ids, (first + i) * k);
      distances.set(r.distances, (first + i) * k);
    });
    onQuery?.(first + count);
  }
  return { ids, distances, k };
}
