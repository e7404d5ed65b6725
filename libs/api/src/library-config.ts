import {
  CONFIG_LIMITS,
  defaultSubvectors,
  HNSW_DEFAULTS,
  type HnswConfig,
  QUANTIZATION_DEFAULTS,
  type QuantizationConfig,
  type Strategy,
} from "@quiver/events";
import { ApiErrorCode, invalidField } from "./errors.js";

export const STRATEGIES: readonly Strategy[] = ["none", "scalar", "product", "hybrid", "adaptive"];

/** The keys each strategy accepts (brief §1); any other key is an error that names it. */
const KEYS: Record<Strategy, readonly string[]> = {
  none: [],
  scalar: ["bits", "calibration_samples"],
  product: ["subvectors", "codebook_size", "training_samples"],
  hybrid: [
    "initial_search",
    "rerank_top_k",
    "rerank_precision",
    "float32_cache_mb",
    "bits",
    "calibration_samples",
    "subvectors",
    "codebook_size",
    "training_samples",
  ],
  adaptive: ["max_memory_gb", "target_accuracy", "auto_tune"],
};

type Input = Record<string, unknown>;
const FIELD = "quantization_config";

/** input[key] (or the fallback): an integer in [min, max], else an error naming the field. */
function intIn(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw invalidField(field, `must be an integer in [${min}, ${max}]`, ApiErrorCode.InvalidConfig);
  }
  return value;
}

function positiveInt(input: Input, key: string, fallback: number, max = 1e9): number {
  return intIn(`${FIELD}.${key}`, input[key] ?? fallback, 1, max);
}

function scalarPart(input: Input) {
  const defaults = QUANTIZATION_DEFAULTS.scalar;
  const bits = input.bits ?? defaults.bits;
  const supported: readonly unknown[] = CONFIG_LIMITS.scalarBits;
  if (!supported.includes(bits)) {
    throw invalidField(
      `${FIELD}.bits`,
      `must be one of ${CONFIG_LIMITS.scalarBits.join(", ")}`,
      ApiErrorCode.InvalidConfig,
    );
  }
  return {
    bits: bits as number,
    calibration_samples: positiveInt(input, "calibration_samples", defaults.calibration_samples),
  };
}

function productPart(input: Input, dimension: number) {
  const defaults = QUANTIZATION_DEFAULTS.product;
  const subvectors = intIn(
    `${FIELD}.subvectors`,
    input.subvectors ?? defaultSubvectors(dimension),
    1,
    dimension,
  );
  if (dimension % subvectors !== 0) {
    throw invalidField(
      `${FIELD}.subvectors`,
      `must divide the dimension (${dimension}); ${subvectors} does not`,
      ApiErrorCode.InvalidConfig,
    );
  }
  const { min, max } = CONFIG_LIMITS.codebookSize;
  const codebook_size = intIn(
    `${FIELD}.codebook_size`,
    input.codebook_size ?? defaults.codebook_size,
    min,
    max,
  );
  const training_samples = positiveInt(input, "training_samples", defaults.training_samples);
  if (training_samples < codebook_size) {
    throw invalidField(
      `${FIELD}.training_samples`,
      `must be at least codebook_size (${codebook_size})`,
      ApiErrorCode.InvalidConfig,
    );
  }
  return { subvectors, codebook_size, training_samples };
}

/** hybrid: MB of the float32 cache, a finite number >= 0. */
function cacheMb(input: Input): number {
  const v = input.float32_cache_mb ?? QUANTIZATION_DEFAULTS.hybrid.float32_cache_mb;
  const { min, max } = CONFIG_LIMITS.float32CacheMb;
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max) {
    throw invalidField(
      `${FIELD}.float32_cache_mb`,
      "must be a number in [0, 1000000] (MB; 0: no cache)",
      ApiErrorCode.InvalidConfig,
    );
  }
  return v;
}

/**
 * A library's quantization_config as a client sent it (or nothing: strategy `none`), checked
 * against the brief's rules and completed with the defaults: the form events carry.
 */
export function resolveQuantization(raw: unknown, dimension: number): QuantizationConfig {
  if (raw === undefined || raw === null) return { strategy: "none" };
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw invalidField(FIELD, "must be an object", ApiErrorCode.InvalidConfig);
  }
  const input = raw as Input;
  const strategy = input.strategy ?? "none";
  if (!STRATEGIES.includes(strategy as Strategy)) {
    throw invalidField(
      `${FIELD}.strategy`,
      `must be one of ${STRATEGIES.join(", ")}`,
      ApiErrorCode.InvalidConfig,
    );
  }
  const s = strategy as Strategy;
  for (const key of Object.keys(input)) {
    if (key !== "strategy" && !KEYS[s].includes(key)) {
      throw invalidField(
        `${FIELD}.${key}`,
        `does not apply to strategy ${s}` +
          (KEYS[s].length ? ` (it accepts ${KEYS[s].join(", ")})` : ""),
        ApiErrorCode.InvalidConfig,
      );
    }
  }
  switch (s) {
    case "none":
      return { strategy: "none" };
    case "scalar":
      return { strategy: "scalar", ...scalarPart(input) };
    case "product":
      return { strategy: "product", ...productPart(input, dimension) };
    case "hybrid": {
      const initial = input.initial_search ?? QUANTIZATION_DEFAULTS.hybrid.initial_search;
      if (initial !== "scalar" && initial !== "product") {
        throw invalidField(
          `${FIELD}.initial_search`,
          "must be scalar or product",
          ApiErrorCode.InvalidConfig,
        );
      }
      if ((input.rerank_precision ?? "float32") !== "float32") {
        throw invalidField(
          `${FIELD}.rerank_precision`,
          "must be float32",
          ApiErrorCode.InvalidConfig,
        );
      }
      return {
        strategy: "hybrid",
        initial_search: initial,
        rerank_top_k: positiveInt(
          input,
          "rerank_top_k",
          QUANTIZATION_DEFAULTS.hybrid.rerank_top_k,
          CONFIG_LIMITS.rerankTopK.max,
        ),
        rerank_precision: "float32",
        float32_cache_mb: cacheMb(input),
        ...scalarPart(input),
        ...productPart(input, dimension),
      };
    }
    case "adaptive": {
      const budget = input.max_memory_gb;
      if (typeof budget !== "number" || !Number.isFinite(budget) || budget <= 0) {
        throw invalidField(
          `${FIELD}.max_memory_gb`,
          "must be a number > 0",
          ApiErrorCode.InvalidConfig,
        );
      }
      const target = input.target_accuracy ?? 0.95;
      if (typeof target !== "number" || !(target > 0 && target <= 1)) {
        throw invalidField(
          `${FIELD}.target_accuracy`,
          "must be in (0, 1]",
          ApiErrorCode.InvalidConfig,
        );
      }
      const autoTune = input.auto_tune ?? true;
      if (typeof autoTune !== "boolean") {
        throw invalidField(
          `${FIELD}.auto_tune`,
          "must be true or false",
          ApiErrorCode.InvalidConfig,
        );
      }
      return {
        strategy: "adaptive",
        max_memory_gb: budget,
        target_accuracy: target,
        auto_tune: autoTune,
      };
    }
  }
}

/** hnsw_config with its defaults: `m`, `ef_construction`, `ef_search`. */
export function resolveHnsw(raw: unknown): HnswConfig {
  const input = (raw ?? {}) as Input;
  if (typeof input !== "object" || Array.isArray(input)) {
    throw invalidField("hnsw_config", "must be an object", ApiErrorCode.InvalidConfig);
  }
  for (const key of Object.keys(input)) {
    if (!["m", "ef_construction", "ef_search"].includes(key)) {
      throw invalidField(
        `hnsw_config.${key}`,
        "is not a setting (m, ef_construction, ef_search)",
        ApiErrorCode.InvalidConfig,
      );
    }
  }
  const out = { ...HNSW_DEFAULTS };
  for (const key of ["m", "ef_construction", "ef_search"] as const) {
    const { min, max } = CONFIG_LIMITS.hnsw[key];
    out[key] = intIn(`hnsw_config.${key}`, input[key] ?? HNSW_DEFAULTS[key], min, max);
  }
  return out;
}
