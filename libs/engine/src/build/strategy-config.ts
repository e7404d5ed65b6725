import type { Metric } from "../metric.js";

/**
 * One concrete quantization strategy with every setting filled in: the engine's mirror of a
 * library's `quantization_config` (the events' QuantizationConfig; apps resolve the defaults and
 * map theirs onto this), without `adaptive`, which is a policy, not an index.
 */
export type StrategyConfig =
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

/** What an index is built for: a strategy, the index type and its parameters. */
export interface IndexBlueprint {
  dim: number;
  metric: Metric;
  indexType: "hnsw" | "flat";
  /** HNSW parameters (the engine's defaults for what is left out). */
  hnsw?: { m?: number; efConstruction?: number; efSearch?: number; seed?: number };
  strategy: StrategyConfig;
}

/** The codes a strategy searches on (undefined: float32). */
export function codesOf(s: StrategyConfig): "scalar" | "product" | undefined {
  if (s.strategy === "scalar" || s.strategy === "product") return s.strategy;
  if (s.strategy === "hybrid") return s.initial_search;
  return undefined;
}

/** Vectors a strategy trains its quantizer on (0: it does not train). */
export function trainingSampleSize(s: StrategyConfig): number {
  const codes = codesOf(s);
  if (codes === "scalar" && "calibration_samples" in s) return s.calibration_samples;
  if (codes === "product" && "training_samples" in s) return s.training_samples;
  return 0;
}

/** Name of the codes a strategy searches, with the settings that make them: one build each. */
export function codesKey(s: StrategyConfig): string {
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
