import { type Static, Type } from "typebox";
import { IndexType, Metric } from "./common.js";

export const HnswConfigInput = Type.Object(
  {
    m: Type.Optional(Type.Integer({ description: "links per node (2-128), default 16" })),
    ef_construction: Type.Optional(Type.Integer({ description: "default 200" })),
    ef_search: Type.Optional(Type.Integer({ description: "default 64" })),
  },
  { additionalProperties: false },
);

export const QuantizationConfigInput = Type.Object(
  {
    strategy: Type.String({ description: "none, scalar, product, hybrid or adaptive" }),
    bits: Type.Optional(Type.Number({ description: "scalar: 8" })),
    calibration_samples: Type.Optional(Type.Number({ description: "scalar: default 10000" })),
    subvectors: Type.Optional(Type.Number({ description: "product: default dimension/8" })),
    codebook_size: Type.Optional(Type.Number({ description: "product: default 256" })),
    training_samples: Type.Optional(Type.Number({ description: "product: default 50000" })),
    initial_search: Type.Optional(Type.String({ description: "hybrid: scalar or product" })),
    rerank_top_k: Type.Optional(Type.Number({ description: "hybrid: default 100" })),
    rerank_precision: Type.Optional(Type.String({ description: "hybrid: float32" })),
    float32_cache_mb: Type.Optional(
      Type.Number({
        description:
          "hybrid: MB of the LRU cache of float32 originals read by the rerank, per library and replica (split over partitions); default 64, 0: none",
      }),
    ),
    max_memory_gb: Type.Optional(Type.Number({ description: "adaptive" })),
    target_accuracy: Type.Optional(Type.Number({ description: "adaptive: recall@10 in (0, 1]" })),
    auto_tune: Type.Optional(Type.Boolean({ description: "adaptive: default true" })),
  },
  {
    additionalProperties: true,
    description:
      "scalar: bits, calibration_samples; product: subvectors, codebook_size, training_samples; " +
      "hybrid: initial_search, rerank_top_k, rerank_precision, float32_cache_mb and those of its codes; " +
      "adaptive: max_memory_gb, target_accuracy, auto_tune",
  },
);

export const CreateLibraryBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128, pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]*$" }),
    dimension: Type.Integer({ minimum: 1, maximum: 65536 }),
    metric: Type.Optional(Metric),
    index_type: Type.Optional(IndexType),
    hnsw_config: Type.Optional(HnswConfigInput),
    quantization_config: Type.Optional(QuantizationConfigInput),
    partitions: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1024,
        description: "partitions the vectors are spread over (fixed at creation)",
      }),
    ),
  },
  { additionalProperties: false },
);
export type CreateLibraryBody = Static<typeof CreateLibraryBody>;

export const QuantizationSummary = Type.Object({
  strategy: Type.String(),
  memory_savings: Type.String(),
  memory_savings_ratio: Type.Union([Type.Number(), Type.Null()]),
  estimated_accuracy: Type.String(),
  estimated_recall_at_10: Type.Union([Type.Number(), Type.Null()]),
  basis: Type.String(),
});

export const LibraryResponse = Type.Object({
  id: Type.String(),
  name: Type.String(),
  dimension: Type.Integer(),
  metric: Metric,
  index_type: IndexType,
  hnsw_config: Type.Object({
    m: Type.Integer(),
    ef_construction: Type.Integer(),
    ef_search: Type.Integer(),
  }),
  quantization_config: Type.Record(Type.String(), Type.Unknown()),
  partitions: Type.Integer(),
  created_at: Type.String({ description: "ISO 8601" }),
  quantization: QuantizationSummary,
  num_vectors: Type.Optional(
    Type.Integer({ description: "vectors applied by the shards (GET of one library)" }),
  ),
});
export type LibraryResponse = Static<typeof LibraryResponse>;

export const LibraryListResponse = Type.Object({ libraries: Type.Array(LibraryResponse) });
export type LibraryListResponse = Static<typeof LibraryListResponse>;

export const DeleteLibraryResponse = Type.Object({ id: Type.String(), deleted: Type.Boolean() });

const Bytes = Type.Object({
  codes: Type.Integer({ description: "vectors or codes the search reads (records written)" }),
  graph: Type.Integer(),
  float32_cache: Type.Integer({ description: "float32 originals held in RAM for reranking" }),
  metadata: Type.Integer({ description: "estimate: JSON size of the metadata cached for filters" }),
  quantizer: Type.Integer(),
  other: Type.Integer({ description: "the indexes' scratch buffers" }),
  total: Type.Integer(),
  float32_vectors: Type.Integer({ description: "what the vectors would take as float32" }),
});

/** The adaptive policy's latest decision, as the statistics and the recommendation show it. */
export const PolicyDecisionView = Type.Object({
  decided_at: Type.String(),
  decision: Type.String(),
  reason: Type.String(),
  inputs: Type.Record(Type.String(), Type.Number()),
});

const AccuracyMetrics = Type.Object({
  "recall@10": Type.Number(),
  "recall@100": Type.Number(),
  sample_size: Type.Integer({ description: "queries measured" }),
  measured_at: Type.String({ format: "date-time" }),
  duration_ms: Type.Number(),
  strategy: Type.String({ description: "the strategy measured" }),
});

export const StatisticsResponse = Type.Object({
  library_id: Type.String(),
  num_vectors: Type.Integer(),
  state: Type.Union(
    [Type.Literal("training"), Type.Literal("serving"), Type.Literal("migrating")],
    {
      description:
        "training: a quantized strategy collecting its sample, training, or building its codes (searches are exact meanwhile); migrating: a migration is rebuilding the library in the background",
    },
  ),
  migration: Type.Optional(Type.Object({ migration_id: Type.String(), to: Type.String() })),
  memory_usage: Type.Object({
    quantized: Type.String(),
    graph: Type.String(),
    float32_cache: Type.String(),
    metadata: Type.String(),
    total: Type.String(),
    savings_vs_float32: Type.String(),
    savings_vs_float32_ratio: Type.Number(),
    bytes: Bytes,
    replicas_counted: Type.Integer({ description: "bytes are summed over every serving replica" }),
  }),
  float32_cache: Type.Union(
    [
      Type.Object({
        capacity_bytes: Type.Integer({ description: "the cache's budget, over every partition" }),
        bytes: Type.Integer({ description: "what it holds now (as memory_usage.bytes)" }),
        hits: Type.Integer({ description: "rerank reads served from the cache" }),
        misses: Type.Integer({ description: "rerank reads that went to the store" }),
        hit_ratio: Type.Union([Type.Number(), Type.Null()], {
          description: "hits / (hits + misses); null before the first read",
        }),
      }),
      Type.Null(),
    ],
    {
      description:
        "hybrid's LRU cache of float32 originals, summed over partitions and replicas (null: no cache)",
    },
  ),
  quantization: Type.Object({
    strategy: Type.String(),
    accuracy_metrics: Type.Union([AccuracyMetrics, Type.Null()], {
      description: "the latest recall probe measurement; null until the first one",
    }),
    accuracy_note: Type.String(),
    current: Type.String({
      description:
        "what the index runs: none, scalar, product, hybrid-scalar, hybrid-product (an adaptive library's current choice)",
    }),
    training: Type.Union(
      [
        Type.Object({
          training_id: Type.String(),
          sample_size: Type.Integer({ description: "vectors the quantizer was trained on" }),
          trained_at: Type.String(),
        }),
        Type.Null(),
      ],
      {
        description:
          "the quantizer the library's partitions share, trained once on a sample drawn across them; null while the library collects its sample (or runs float32)",
      },
    ),
    policy: Type.Optional(
      Type.Object(
        {
          max_memory_gb: Type.Number(),
          target_accuracy: Type.Number(),
          auto_tune: Type.Boolean(),
          last_decision: Type.Union([PolicyDecisionView, Type.Null()]),
        },
        { description: "adaptive libraries: the targets and the policy's latest decision" },
      ),
    ),
  }),
  partitions: Type.Array(
    Type.Object({
      partition: Type.Integer(),
      shard: Type.String(),
      vectors: Type.Integer(),
      phase: Type.String(),
      bytes: Type.Integer(),
      training_id: Type.Optional(
        Type.String({ description: "the training whose quantizer the partition's index runs" }),
      ),
      error: Type.Optional(
        Type.String({
          description:
            "why the library's index cannot serve in this partition (e.g. no memory could be had for it): its searches fail with this reason, its writes are still stored, and the other libraries are not affected",
        }),
      ),
    }),
  ),
});
export type StatisticsResponse = Static<typeof StatisticsResponse>;
