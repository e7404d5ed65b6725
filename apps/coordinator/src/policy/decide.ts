import type { ConcreteQuantizationConfig } from "@quiver/events";

/** What the policy knows of one adaptive library, measured. */
export interface PolicyInputs {
  dimension: number;
  vectors: number;
  /** Bytes the library holds in RAM now, all partitions and replicas. */
  bytes: number;
  /** Of those, the vectors' codes (float32 for none). */
  codesBytes: number;
  /** Recall@10 measured by the probe for the current strategy, when there is one. */
  recallAt10?: number;
  /** The fullest shard's resident memory over its limit, when limits are known. */
  shardPressure?: number;
  /** Vectors in one partition (each partition trains on its own sample), when known. */
  vectorsPerPartition?: number;
  /** Of `bytes`, hybrid's float32 cache as filled now (it fills up to its size as searches run). */
  cacheBytes?: number;
  /** Copies of each partition (the bytes count every replica), when known. */
  replicas?: number;
}

export interface PolicyTargets {
  maxMemoryBytes: number;
  targetAccuracy: number;
}

export interface Decision {
  change: boolean;
  current: ConcreteQuantizationConfig;
  to: ConcreteQuantizationConfig;
  reason: string;
  /** Estimated bytes of each rung of the ladder, by name. */
  estimates: Record<string, number>;
}

/**
 * Over the budget (or a shard over this share of its limit), the policy compacts to the most
 * precise rung that fits under COMPACT_TO of the budget...
 */
const SHARD_PRESSURE = 0.9;
const COMPACT_TO = 0.9;
/** ...and goes back up only to a rung that fits under EXPAND_UNDER of it: the gap is hysteresis. */
const EXPAND_UNDER = 0.7;
/** Hybrid's float32 cache gets this share of the budget (over all replicas), 64 MB at most. */
const CACHE_SHARE = 0.05;
const CACHE_MAX_MB = 64;
/** Measured recall this far below the target moves a rung up (when it fits). */
const RECALL_BAND = 0.01;

interface Rung {
  name: string;
  /**
   * The rung's config; `samples` caps the training sample (a partition's vectors), `cacheMb` is
   * hybrid's float32 cache.
   */
  config: (dimension: number, samples: number, cacheMb: number) => ConcreteQuantizationConfig;
  /** Whether it reranks through a float32 cache. */
  cached: boolean;
  /** Bytes of codes per vector. */
  codeBytes: (dimension: number) => number;
}

const subvectorsOf = (dimension: number) => {
  // dim/8 subvectors when it divides, else the largest divisor of dim at most dim/8 (1 at least)
  for (let s = Math.max(1, Math.floor(dimension / 8)); s > 1; s--)
    if (dimension % s === 0) return s;
  return 1;
};

/** Hybrid with the brief's defaults, its samples capped so that every partition can train. */
function hybrid(
  initial: "scalar" | "product",
  dimension: number,
  samples: number,
  cacheMb: number,
): ConcreteQuantizationConfig {
  return {
    float32_cache_mb: cacheMb,
    strategy: "hybrid",
    initial_search: initial,
    rerank_top_k: 100,
    rerank_precision: "float32",
    bits: 8,
    calibration_samples: Math.min(10_000, samples),
    subvectors: subvectorsOf(dimension),
    codebook_size: 256,
    training_samples: Math.min(50_000, samples),
  };
}

/**
 * The strategies the policy moves between, from the most precise to the most compact. Plain
 * scalar and product are left out: each holds the same RAM as its hybrid, which reranks on the
 * float32 originals and so is more precise.
 */
export const LADDER: readonly Rung[] = [
  { name: "none", config: () => ({ strategy: "none" }), codeBytes: (d) => 4 * d, cached: false },
  {
    name: "hybrid-scalar",
    config: (d, samples, cacheMb) => hybrid("scalar", d, samples, cacheMb),
    cached: true,
    codeBytes: (d) => d,
  },
  {
    name: "hybrid-product",
    config: (d, samples, cacheMb) => hybrid("product", d, samples, cacheMb),
    cached: true,
    codeBytes: (d) => subvectorsOf(d),
  },
];

/** The ladder's rung of a concrete config (plain scalar/product count as their hybrid). */
export function rungOf(config: ConcreteQuantizationConfig): number {
  switch (config.strategy) {
    case "none":
      return 0;
    case "scalar":
      return 1;
    case "product":
      return 2;
    case "hybrid":
      return config.initial_search === "scalar" ? 1 : 2;
  }
}

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(3)} GB`;

/**
 * The adaptive policy's rule, pure. Estimates each rung's footprint from the measured one (the
 * codes scale with their bytes per vector, hybrid's float32 cache counts at its full size, 5% of
 * the budget, the rest stays), then:
 * 1. over the memory budget, or a shard over 90% of its memory limit: the most precise rung
 *    estimated under 90% of the budget (the most compact when none is);
 * 2. measured recall@10 more than 0.01 below the target: one rung more precise, if it is
 *    estimated under 70% of the budget;
 * 3. the most precise rung estimated under 70% of the budget, when it is more precise than the
 *    current one (room came back);
 * 4. else stay.
 * The gaps between 100% / 90% / 70% of the budget and the recall band keep small oscillations of
 * the inputs from flipping the choice back and forth; the caller adds a cooldown between changes.
 */
export function decide(
  current: ConcreteQuantizationConfig,
  inputs: PolicyInputs,
  targets: PolicyTargets,
): Decision {
  const { dimension, bytes, codesBytes } = inputs;
  const budget = targets.maxMemoryBytes;
  const here = rungOf(current);
  const perCode = LADDER[here].codeBytes(dimension);
  const replicas = Math.max(1, inputs.replicas ?? 1);
  // the cache is sized by the policy (a share of the budget) and counted full, as it will be
  const cacheMb = Math.min(CACHE_MAX_MB, Math.floor((budget * CACHE_SHARE) / replicas / 1e6));
  const fixed = Math.max(0, bytes - codesBytes - (inputs.cacheBytes ?? 0));
  const estimate = (r: number) =>
    fixed +
    (codesBytes * LADDER[r].codeBytes(dimension)) / perCode +
    (LADDER[r].cached ? cacheMb * 1e6 * replicas : 0);
  const estimates = Object.fromEntries(
    LADDER.map((rung, r) => [rung.name, Math.round(estimate(r))]),
  );
  const stay = (reason: string): Decision => ({
    change: false,
    current,
    to: current,
    reason,
    estimates,
  });
  // 90% of a partition's vectors, so that a partition a little smaller than the mean trains too
  const samples = Math.max(256, Math.floor((inputs.vectorsPerPartition ?? Infinity) * 0.9));
  const move = (r: number, reason: string): Decision => ({
    change: r !== here,
    current,
    to: r === here ? current : LADDER[r].config(dimension, samples, cacheMb),
    reason,
    estimates,
  });
  const mostPreciseUnder = (share: number) =>
    LADDER.findIndex((_, r) => estimate(r) <= budget * share);

  const pressured = inputs.shardPressure !== undefined && inputs.shardPressure > SHARD_PRESSURE;
  if (bytes > budget || pressured) {
    const why = pressured
      ? `a shard is at ${Math.round((inputs.shardPressure ?? 0) * 100)}% of its memory limit`
      : `the library holds ${gb(bytes)}, over its budget of ${gb(budget)}`;
    const fit = mostPreciseUnder(COMPACT_TO);
    const target = pressured ? Math.max(here + 1, fit) : fit;
    if (target < 0 || target >= LADDER.length) {
      const last = LADDER.length - 1;
      return here === last
        ? stay(`${why}, and ${LADDER[last].name} is already the most compact strategy`)
        : move(
            last,
            `${why}; no strategy is estimated under ${gb(budget * COMPACT_TO)}: ${LADDER[last].name}, the most compact, is estimated at ${gb(estimate(last))}`,
          );
    }
    if (target <= here)
      return stay(`${why}, but no more compact strategy is estimated to fit better`);
    return move(
      target,
      `${why}: ${LADDER[target].name} is the most precise strategy estimated under ${Math.round(COMPACT_TO * 100)}% of it (${gb(estimate(target))})`,
    );
  }
  const recall = inputs.recallAt10;
  if (recall !== undefined && recall < targets.targetAccuracy - RECALL_BAND) {
    const up = here - 1;
    if (up < 0)
      return stay(
        `recall@10 ${recall} is below the target ${targets.targetAccuracy}, and none is already the most precise strategy`,
      );
    if (estimate(up) > budget * EXPAND_UNDER) {
      return stay(
        `recall@10 ${recall} is below the target ${targets.targetAccuracy}, but ${LADDER[up].name} is estimated at ${gb(estimate(up))}, over ${Math.round(EXPAND_UNDER * 100)}% of the budget`,
      );
    }
    return move(
      up,
      `recall@10 ${recall} is below the target ${targets.targetAccuracy}: ${LADDER[up].name} is more precise and estimated at ${gb(estimate(up))}, within the budget of ${gb(budget)}`,
    );
  }
  const roomy = mostPreciseUnder(EXPAND_UNDER);
  if (roomy >= 0 && roomy < here) {
    return move(
      roomy,
      `the budget of ${gb(budget)} has room: ${LADDER[roomy].name} is estimated at ${gb(estimate(roomy))}, under ${Math.round(EXPAND_UNDER * 100)}% of it`,
    );
  }
  return stay(
    `${LADDER[here].name} holds ${gb(bytes)} of a ${gb(budget)} budget` +
      (recall === undefined ? " (recall not measured yet)" : ` at recall@10 ${recall}`),
  );
}
