import {
  ApiError,
  ApiErrorCode,
  BENCHMARK_DEFAULTS,
  type BenchmarkQueries,
  invalidField,
  isApiError,
  resolveQuantization,
} from "@quiver/api";
import type { ConcreteQuantizationConfig } from "@quiver/events";

const MAX_QUERIES = 10_000;

/**
 * The strategies to measure (adaptive is a policy that picks among them, not an index), each resolved with the library's dimension as a create would resolve
 * it; errors name the entry (`strategies[2].subvectors ...`).
 */
export function resolveStrategies(
  raw: unknown[] | undefined,
  dimension: number,
): ConcreteQuantizationConfig[] {
  const items: unknown[] = raw ?? [...BENCHMARK_DEFAULTS.strategies];
  return items.map((item, i) => {
    const field = `strategies[${i}]`;
    const isObject = typeof item === "object" && item !== null && !Array.isArray(item);
    if (typeof item !== "string" && !isObject)
      throw invalidField(field, "must be a strategy name or a quantization_config object");
    const input = typeof item === "string" ? { strategy: item } : (item as { strategy?: unknown });
    if (input.strategy === "adaptive")
      throw invalidField(
        `${field}.strategy`,
        "adaptive is a policy that picks among the others: benchmark none, scalar, product or hybrid",
        ApiErrorCode.InvalidConfig,
      );
    try {
      return resolveQuantization(input, dimension) as ConcreteQuantizationConfig;
    } catch (error) {
      if (!isApiError(error)) throw error;
      const rename = (s: string) => s.replace(/^quantization_config/, field);
      throw new ApiError(error.code, rename(error.message), {
        ...error.details,
        field: rename(String(error.details.field ?? "")),
      });
    }
  });
}

/** `test_queries`: a count (default 100) to draw from the library, or the query vectors. */
export function resolveTestQueries(raw: unknown, dimension: number): BenchmarkQueries {
  if (raw === undefined) return { source: "library", count: BENCHMARK_DEFAULTS.testQueries };
  if (typeof raw === "number") {
    if (!Number.isInteger(raw) || raw < 1 || raw > MAX_QUERIES)
      throw invalidField("test_queries", `must be an integer in [1, ${MAX_QUERIES}]`);
    return { source: "library", count: raw };
  }
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_QUERIES)
    throw invalidField(
      "test_queries",
      `must be a number of queries or an array of 1 to ${MAX_QUERIES} query vectors`,
    );
  const vectors = new Float32Array(raw.length * dimension);
  raw.forEach((query, q) => {
    const field = `test_queries[${q}]`;
    if (!Array.isArray(query)) throw invalidField(field, "must be an array of numbers");
    if (query.length !== dimension)
      throw invalidField(
        field,
        `has ${query.length} components; the library's dimension is ${dimension}`,
        ApiErrorCode.DimensionMismatch,
        { expected: dimension, actual: query.length },
      );
    for (let i = 0; i < dimension; i++) {
      const x = query[i];
      if (typeof x !== "number" || !Number.isFinite(x))
        throw invalidField(`${field}[${i}]`, "must be a finite number", ApiErrorCode.InvalidVector);
      vectors[q * dimension + i] = x;
    }
  });
  return { source: "request", count: raw.length, vectors };
}
