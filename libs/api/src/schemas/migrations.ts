import { type Static, Type } from "typebox";
import { PolicyDecisionView, QuantizationConfigInput } from "./libraries.js";

export const MigrateBody = Type.Object(
  {
    new_strategy: Type.Optional(
      Type.String({
        description: "the new strategy, with its defaults (none, scalar, product...)",
      }),
    ),
    quantization_config: Type.Optional(QuantizationConfigInput),
    preserve_data: Type.Optional(
      Type.Boolean({ description: "must be true (the default): a migration keeps every vector" }),
    ),
  },
  { additionalProperties: false },
);
export type MigrateBody = Static<typeof MigrateBody>;

export const MigrationParams = Type.Object({ id: Type.String(), mid: Type.String() });
export type MigrationParams = Static<typeof MigrationParams>;

export const MigrationStatus = Type.Union([
  Type.Literal("in_progress"),
  Type.Literal("completed"),
  Type.Literal("failed"),
  Type.Literal("cancelled"),
]);

export const PartitionMigrationView = Type.Object({
  partition: Type.Integer(),
  shard: Type.String(),
  state: Type.String({
    description:
      "building, switched, rolling_back, rolled_back, abandoned, failed, or waiting (not started here yet)",
  }),
  vectors_done: Type.Integer(),
  vectors_total: Type.Integer(),
  error: Type.Optional(Type.String()),
});

/** Where a migration is followed (the Location of the 202 that started it). */
export function migrationPath(libraryId: string, migrationId: string): string {
  return `/v1/libraries/${libraryId}/quantization/migrations/${migrationId}`;
}

export const MigrationResponse = Type.Object({
  migration_id: Type.String(),
  library_id: Type.String(),
  url: Type.String({ description: "where to follow it (also the Location header of the 202)" }),
  status: MigrationStatus,
  from: Type.Record(Type.String(), Type.Unknown()),
  to: Type.Record(Type.String(), Type.Unknown()),
  progress: Type.Number({ description: "0..1, share of vectors rebuilt over every replica" }),
  vectors_done: Type.Integer(),
  vectors_total: Type.Integer(),
  eta_seconds: Type.Union([Type.Number(), Type.Null()], {
    description: "from the rate so far; null until there is progress to go by",
  }),
  started_at: Type.String(),
  finished_at: Type.Optional(Type.String()),
  reason: Type.Optional(Type.String()),
  partitions: Type.Array(PartitionMigrationView),
});
export type MigrationResponse = Static<typeof MigrationResponse>;

export const MigrationListResponse = Type.Object({ migrations: Type.Array(MigrationResponse) });
export type MigrationListResponse = Static<typeof MigrationListResponse>;

export const RecommendationQuery = Type.Object(
  {
    max_memory_gb: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, description: "what-if: the budget to weigh against" }),
    ),
    target_accuracy: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 1,
        description: "what-if: the recall@10 target",
      }),
    ),
  },
  { additionalProperties: false },
);
export type RecommendationQuery = Static<typeof RecommendationQuery>;

export const RecommendationResponse = Type.Object({
  library_id: Type.String(),
  strategy: Type.String({ description: "the library's configured strategy" }),
  current: Type.String({ description: "what its index runs (an adaptive library's choice)" }),
  recommended: Type.String(),
  recommended_config: Type.Record(Type.String(), Type.Unknown()),
  change: Type.Boolean(),
  reason: Type.String(),
  auto_tune: Type.Boolean({ description: "true: the policy applies its recommendations itself" }),
  targets: Type.Object({ max_memory_gb: Type.Number(), target_accuracy: Type.Number() }),
  inputs: Type.Record(Type.String(), Type.Number(), {
    description: "the measured figures the rule read, and its estimate per strategy",
  }),
  last_decision: Type.Union([PolicyDecisionView, Type.Null()]),
});
export type RecommendationResponse = Static<typeof RecommendationResponse>;

export const UpdateLibraryBody = Type.Object(
  {
    quantization_config: QuantizationConfigInput,
  },
  { additionalProperties: false },
);
export type UpdateLibraryBody = Static<typeof UpdateLibraryBody>;
