import { type Static, Type } from "typebox";

export const BENCHMARK_DEFAULTS = {
  strategies: ["none", "scalar", "product", "hybrid"],
  testQueries: 100,
  sampleSize: 100_000,
  /** recall@10 the recommendation aims at unless the library (adaptive) or the request says. */
  targetRecall: 0.95,
} as const;

export const BenchmarkBody = Type.Object(
  {
    strategies: Type.Optional(
      Type.Array(Type.Unknown(), {
        minItems: 1,
        maxItems: 8,
        description:
          "strategy names (none, scalar, product, hybrid) or quantization_config objects; " +
          "default the four with their defaults",
      }),
    ),
    test_queries: Type.Optional(
      Type.Unknown({
        description:
          "a number of queries drawn from the library (default 100; each query's own vector is " +
          "left out of its truth and results), or the queries themselves as arrays of numbers",
      }),
    ),
    sample_size: Type.Optional(
      Type.Integer({
        minimum: 11,
        maximum: 1_000_000,
        description:
          "library vectors the indexes are built from (default 100000); a larger library is " +
          "sampled and its memory extrapolated",
      }),
    ),
    target_recall: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 1,
        description:
          "recall@10 the recommendation needs (default: target_accuracy of an adaptive library, " +
          "else 0.95)",
      }),
    ),
  },
  { additionalProperties: false },
);
export type BenchmarkBody = Static<typeof BenchmarkBody>;

export const BenchmarkJobParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 128 }),
  job_id: Type.String({ minLength: 1, maxLength: 128 }),
});

export const BenchmarkResult = Type.Object({
  strategy: Type.String({ description: "none, scalar, product, hybrid (hybrid-product on PQ)" }),
  quantization_config: Type.Record(Type.String(), Type.Unknown()),
  memory_mb: Type.Number({ description: "memory_bytes / 1e6" }),
  memory_bytes: Type.Integer({
    description: "RAM the search holds for the library (originals stay on disk)",
  }),
  memory_estimated: Type.Boolean({ description: "true: extrapolated from the sample" }),
  bytes_per_vector: Type.Number(),
  "recall@10": Type.Number(),
  avg_latency_ms: Type.Number(),
  p95_latency_ms: Type.Number(),
  build_seconds: Type.Number(),
});
export type BenchmarkResult = Static<typeof BenchmarkResult>;

/** Where a benchmark job is followed (the Location of the 202 that started it). */
export function benchmarkPath(libraryId: string, jobId: string): string {
  return `/v1/libraries/${libraryId}/quantization/benchmarks/${jobId}`;
}

export const BenchmarkJobResponse = Type.Object({
  job_id: Type.String(),
  library_id: Type.String(),
  url: Type.String({ description: "where to follow it (also the Location header of the 202)" }),
  status: Type.Union([Type.Literal("running"), Type.Literal("completed"), Type.Literal("failed")]),
  progress: Type.Number({ description: "0 to 1, never decreasing" }),
  eta_seconds: Type.Union([Type.Number(), Type.Null()], {
    description: "null until there is progress to extrapolate from",
  }),
  started_at: Type.String({ description: "ISO 8601" }),
  finished_at: Type.Optional(Type.String()),
  results: Type.Array(BenchmarkResult),
  recommendation: Type.Union([Type.String(), Type.Null()]),
  recommended_config: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], {
    description: "the quantization_config of the recommendation, ready for a migration",
  }),
  reason: Type.Union([Type.String(), Type.Null()]),
  target_recall: Type.Number(),
  sample: Type.Union([
    Type.Null(),
    Type.Object({
      library_vectors: Type.Integer(),
      base_vectors: Type.Integer({ description: "vectors the indexes were built from" }),
      queries: Type.Integer(),
      query_source: Type.Union([Type.Literal("library"), Type.Literal("request")]),
      memory_estimated: Type.Boolean(),
      note: Type.String(),
    }),
  ]),
  error: Type.Optional(Type.String()),
});
export type BenchmarkJobResponse = Static<typeof BenchmarkJobResponse>;
