import { EngineError, EngineErrorCode } from "./errors.js";
import type { Metric } from "./metric.js";
import type { RegionSet } from "./workspace/region.js";
import { checkVector, invalidComponent, normalizeInPlace } from "./vector-checks.js";

/**
 * Validates incoming vectors and queries (dimension, finite components) and copies them into a
 * float32 buffer of the memory's shared scratch, normalised for cosine. The caller's array is
 * never modified.
 */
export class VectorInput {
  constructor(
    readonly dim: number,
    readonly metric: Metric,
    private readonly home: RegionSet,
  ) {}

  /** The checked (and for cosine, normalised) copy; valid until the operation ends. */
  take(vector: ArrayLike<number>, field = "vector"): Float32Array {
    if (vector.length !== this.dim) checkVector(vector, this.dim, field);
    const out = this.home.mem.scratch.vector(this.dim);
    if (vector instanceof Float32Array) out.set(vector);
    else for (let i = 0; i < this.dim; i++) out[i] = vector[i];
    // Checked on the float32 copy, which also catches numbers beyond the float32 range.
    for (let i = 0; i < this.dim; i++) {
      if (out[i] - out[i] !== 0) throw invalidComponent(field, i, vector[i]);
    }
    if (this.metric === "cosine") normalizeInPlace(out, this.dim);
    return out;
  }
}

export function checkK(k: unknown): number {
  if (typeof k !== "number" || !Number.isInteger(k) || k < 1) {
    throw new EngineError(
      EngineErrorCode.InvalidConfig,
      `k must be a positive integer, got ${String(k)}`,
      {
        field: "k",
        value: k,
      },
    );
  }
  return k;
}

/** An optional candidate-list size: undefined, or an integer in [1, 100000]. */
export function checkEf(ef: unknown, field = "ef"): number | undefined {
  if (ef === undefined) return undefined;
  if (typeof ef !== "number" || !Number.isInteger(ef) || ef < 1 || ef > 100_000) {
    throw new EngineError(
      EngineErrorCode.InvalidConfig,
      `${field} must be an integer in [1, 100000], got ${String(ef)}`,
      {
        field,
        value: ef,
      },
    );
  }
  return ef;
}
