import type { Metric } from "../metric.js";

/**
 * One concrete quantization strategy with every setting filled in: the shape of a library's
 * `quantization_config` (apps resolve the defaults), without `adaptive`, which is a policy, not
 * an index.
 */
export type BenchmarkStrategy =
  | { strategy: "none" }
  | { strategy: "scalar"; bits: number; calibration_samples: number }
  | { strategy: "product"; subvectors: number; codebook_size: number; training_samples: number }
  | {
      strategy: "hybrid";
      initial_search: "scalar" | "product";
      rerank_top_k: number;
      bits: number;
      calibration_samples: number;
      subvectors: number;
      codebook_size: number;
      training_samples: number;
    };

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
  strategies: BenchmarkStrategy[];
  /** Neighbours per query (recall@k); 10 by default. */
  k?: number;
}

/** What one strategy measured on the input. */
export interface StrategyMeasurement {
  config: BenchmarkStrategy;
  /** Bytes the search holds in RAM (codes, graph, quantizer, scratch); originals stay on disk. */
  memoryBytes: number;
  bytesPerVector: number;
  recall: number;
  avgLatencyMs: number;
  p95LatencyMs: number;
  /** Training and insertion; a hybrid shares the build of the same codes measured before it. */
  buildSeconds: number;
}

/** Name of the codes a strategy searches, with the settings that make them: one build each. */
export function codesKey(s: BenchmarkStrategy): string {
  const scalar = (bits: number, samples: number) => `scalar:${bits}:${samples}`;
  const product = (m: number, k: number, samples: number) => `product:${m}:${k}:${samples}`;
  switch (s.strategy) {
    case "none":
      return "f32";
    case "scalar":
      return scalar(s.bits, s.calibration_samples);
    case "product":
      return product(s.subvectors, s.codebook_size, s.training_samples);
    case "hybrid":
      return s.initial_search === "scalar"
        ? scalar(s.bits, s.calibration_samples)
        : product(s.subvectors, s.codebook_size, s.training_samples);
  }
}

/** A short label: `none`, `scalar`, `product`, `hybrid` (`hybrid-product` for PQ codes). */
export function strategyLabel(s: BenchmarkStrategy): string {
  return s.strategy === "hybrid" && s.initial_search === "product" ? "hybrid-product" : s.strategy;
}
