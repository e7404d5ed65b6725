import { EngineError, EngineErrorCode, invalidConfig } from "./errors.js";

/** Throws unless `vector` has exactly `dim` finite components. */
export function checkVector(vector: ArrayLike<number>, dim: number, field = "vector"): void {
  if (vector.length !== dim) {
    throw new EngineError(
      EngineErrorCode.DimensionMismatch,
      `${field}: expected ${dim} components, got ${vector.length}`,
      { field, expected: dim, actual: vector.length },
    );
  }
  for (let i = 0; i < dim; i++) {
    const x = vector[i];
    // `x - x` is 0 for every finite number and NaN for NaN and +-Infinity.
    if (x - x !== 0) throw invalidComponent(field, i, x);
  }
}

export function invalidComponent(field: string, index: number, value: unknown): EngineError {
  const why =
    typeof value === "number" && Number.isFinite(value)
      ? "is outside the float32 range"
      : "must be a finite number";
  return new EngineError(
    EngineErrorCode.InvalidVector,
    `${field}[${index}] is ${String(value)}: ${why}`,
    {
      field,
      index,
      value: String(value),
    },
  );
}

/** Largest id a store accepts: ids index records directly, so they must be dense-ish. */
export const MAX_ID = 0x7fff_fffe;

export function checkId(id: number, field = "id"): void {
  if (!Number.isInteger(id) || id < 0 || id > MAX_ID) {
    throw new EngineError(
      EngineErrorCode.InvalidId,
      `${field} must be an integer in [0, ${MAX_ID}], got ${id}`,
      { field, value: id },
    );
  }
}

export function checkDimension(dim: unknown, field = "dimension"): number {
  if (typeof dim !== "number" || !Number.isInteger(dim) || dim < 1 || dim > 65_536) {
    throw invalidConfig(field, "must be an integer in [1, 65536]", dim);
  }
  return dim;
}

export function checkIntInRange(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw invalidConfig(field, `must be an integer in [${min}, ${max}]`, value);
  }
  return value;
}

/** Scales `v` in place to unit length (a zero vector stays zero). */
export function normalizeInPlace(v: Float32Array, dim: number): void {
  let s = 0;
  for (let i = 0; i < dim; i++) s += v[i] * v[i];
  if (s > 0) {
    const inv = 1 / Math.sqrt(s);
    for (let i = 0; i < dim; i++) v[i] *= inv;
  }
}
