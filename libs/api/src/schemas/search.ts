import { type Static, Type } from "typebox";
import { Consistency, Metadata } from "./common.js";

export const MAX_K = 1000;
export const MAX_QUERIES = 100;

export const SearchBody = Type.Object(
  {
    vector: Type.Optional(Type.Array(Type.Number(), { minItems: 1, maxItems: 65536 })),
    vectors: Type.Optional(
      Type.Array(Type.Array(Type.Number(), { minItems: 1, maxItems: 65536 }), {
        minItems: 1,
        maxItems: MAX_QUERIES,
      }),
    ),
    k: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_K, description: "default 10" })),
    filter: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description: "metadata filter: $eq $ne $in $nin $gt $gte $lt $lte $exists $and $or $not",
      }),
    ),
    ef: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    exact: Type.Optional(
      Type.Boolean({
        description:
          "exhaustive search over the float32 originals, bypassing the index (default false)",
      }),
    ),
    rerank_top_k: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    consistency: Type.Optional(Consistency),
    write_token: Type.Optional(Type.String({ maxLength: 100_000 })),
    include_metadata: Type.Optional(Type.Boolean({ description: "default true" })),
    include_vectors: Type.Optional(Type.Boolean({ description: "default false" })),
    allow_partial: Type.Optional(
      Type.Boolean({
        description:
          "when a partition has no live replica: false (default) fails with 503, " +
          "true answers from the others and sets partial",
      }),
    ),
    timeout_ms: Type.Optional(Type.Integer({ minimum: 1, maximum: 300_000 })),
  },
  { additionalProperties: false },
);
export type SearchBody = Static<typeof SearchBody>;

export const SearchHit = Type.Object({
  id: Type.String(),
  distance: Type.Number(),
  metadata: Type.Optional(Metadata),
  vector: Type.Optional(Type.Array(Type.Number())),
});
export type SearchHit = Static<typeof SearchHit>;

export const SearchResponse = Type.Object({
  results: Type.Union([Type.Array(SearchHit), Type.Array(Type.Array(SearchHit))]),
  partial: Type.Optional(Type.Boolean()),
  missing_partitions: Type.Optional(Type.Array(Type.Integer())),
});
export type SearchResponse = Static<typeof SearchResponse>;
