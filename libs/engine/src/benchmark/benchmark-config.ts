import type { StrategyConfig } from "../build/strategy-config.js";
import type { Metric } from "../metric.js";

export interface BenchmarkInput {
  /** `count` base vectors of `dim` components, row by row (a library or a sample of it). */
  base: Float32Array;
  count: number;
  dim: number;
  metric: Metric;
  indexType: "hnsw" | "flat";
  hnsw: { m: number; efConstruction: number; efSearch: number };
  /** `queryCount` queries of `dim` components, row by row. */
  queries: Float32Array;
  queryCount: number;
  /**
   * Leave-one-out: per query, the base row it was taken from (excluded from its ground truth and
   * from its results), or -1 for a query from outside the base.
   */
  queryRows?: Int32Array;
  strategies: StrategyConfig[];
  /** Neighbours per query (recall@k); 10 by default. */
  k?: number;
}

/** What one strategy measured on the input. */
export interface StrategyMeasurement {
  config: StrategyConfig;
  /** Bytes the search holds in RAM (codes, graph, quantizer, scratch); originals stay on disk. */
  memoryBytes: number;
  bytesPerVector: number;
  recall: number;
  avgLatencyMs: number;
  p95LatencyMs: number;
  /** Training and insertion; a hybrid shares the build of the same codes measured before it. */
  buildSeconds: number;
}

/** A short label: `none`, `scalar`, `product`, `hybrid` (`hybrid-product` for PQ codes). */
export function strategyLabel(s: StrategyConfig): string {
  return s.strategy === "hybrid" && s.initial_search === "product" ? "hybrid-product" : s.strategy;
}
