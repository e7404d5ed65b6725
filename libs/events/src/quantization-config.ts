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
