/**
 * A library's quantization, as the brief defines it (§1), with every default filled in: the form
 * events carry and shards apply. Validation and defaults live with the API schemas.
 */
export type QuantizationConfig =
  | { strategy: "none" }
  | { strategy: "scalar"; bits: number; calibration_samples: number }
  | { strategy: "product"; subvectors: number; codebook_size: number; training_samples: number }
  | {
      strategy: "hybrid";
      initial_search: "scalar" | "product";
      rerank_top_k: number;
      rerank_precision: "float32";
      /**
       * MB (10^6 bytes) of the LRU cache of float32 originals the rerank reads through, per
       * library and replica, split over its partitions; 0: no cache. Absent in events written
       * before the key existed: the default (64) applies.
       */
      float32_cache_mb?: number;
      bits: number;
      calibration_samples: number;
      subvectors: number;
      codebook_size: number;
      training_samples: number;
    }
  | {
      strategy: "adaptive";
      max_memory_gb: number;
      target_accuracy: number;
      auto_tune: boolean;
      /** What the policy chose last: the config the indexes are built for (none until then). */
      current?: ConcreteQuantizationConfig;
    };

/** A strategy the indexes are built for: every one but adaptive. */
export type ConcreteQuantizationConfig = Exclude<QuantizationConfig, { strategy: "adaptive" }>;

/** The config an index is built for: an adaptive library's current choice, else the config. */
export function effectiveQuantization(q: QuantizationConfig): ConcreteQuantizationConfig {
  if (q.strategy !== "adaptive") return q;
  return q.current ?? { strategy: "none" };
}

export type Strategy = QuantizationConfig["strategy"];

export interface HnswConfig {
  m: number;
  ef_construction: number;
  ef_search: number;
}

/**
 * What a library gets for the keys its config leaves out (brief §1). The samples are the
 * library's: a quantized library searches exactly until it holds that many vectors, then trains.
 */
export const QUANTIZATION_DEFAULTS = {
  scalar: { bits: 8, calibration_samples: 10_000 },
  product: { codebook_size: 256, training_samples: 50_000 },
  hybrid: {
    initial_search: "scalar",
    rerank_top_k: 100,
    /**
     * The LRU cache of originals in front of the store, per library and replica (split over its
     * partitions): 64 MB holds ~42k rows of 384 float32, room for the candidates of a few hundred
     * distinct queries at rerank_top_k 100.
     */
    float32_cache_mb: 64,
  },
} as const;

/** The ranges a config's settings may take. */
export const CONFIG_LIMITS = {
  scalarBits: [8],
  codebookSize: { min: 2, max: 256 },
  rerankTopK: { min: 1, max: 100_000 },
  float32CacheMb: { min: 0, max: 1e6 },
  hnsw: {
    m: { min: 2, max: 128 },
    ef_construction: { min: 1, max: 10_000 },
    ef_search: { min: 1, max: 100_000 },
  },
} as const;

export const HNSW_DEFAULTS: HnswConfig = { m: 16, ef_construction: 200, ef_search: 64 };

/** Default subvectors: one per 8 components, or the nearest divisor of dim that is not larger. */
export function defaultSubvectors(dim: number): number {
  for (let m = Math.max(1, Math.floor(dim / 8)); m > 1; m--) if (dim % m === 0) return m;
  return 1;
}

/** Vectors a quantized strategy trains on (0: the strategy does not train). */
export function trainingSampleSize(config: QuantizationConfig): number {
  const q = effectiveQuantization(config);
  switch (q.strategy) {
    case "scalar":
      return q.calibration_samples;
    case "product":
      return q.training_samples;
    case "hybrid":
      return q.initial_search === "scalar" ? q.calibration_samples : q.training_samples;
    default:
      return 0;
  }
}

/** The codes a strategy searches on (undefined: float32). */
export function codesOf(config: QuantizationConfig): "scalar" | "product" | undefined {
  const q = effectiveQuantization(config);
  if (q.strategy === "scalar" || q.strategy === "product") return q.strategy;
  if (q.strategy === "hybrid") return q.initial_search;
  return undefined;
}
