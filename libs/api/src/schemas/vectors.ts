import { type Static, Type } from "typebox";
import { Consistency, Metadata } from "./common.js";

export const MAX_VECTORS_PER_REQUEST = 10_000;

export const VectorInput = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 256 }),
    vector: Type.Array(Type.Number(), { minItems: 1, maxItems: 65536 }),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);

export const UpsertBody = Type.Object(
  {
    vectors: Type.Array(VectorInput, { minItems: 1, maxItems: MAX_VECTORS_PER_REQUEST }),
    wait: Type.Optional(
      Type.Boolean({ description: "answer once the shards have applied the write" }),
    ),
  },
  { additionalProperties: false },
);
export type UpsertBody = Static<typeof UpsertBody>;

export const DeleteVectorsBody = Type.Object(
  {
    ids: Type.Array(Type.String({ minLength: 1, maxLength: 256 }), {
      minItems: 1,
      maxItems: MAX_VECTORS_PER_REQUEST,
    }),
    wait: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type DeleteVectorsBody = Static<typeof DeleteVectorsBody>;

export const WaitQuery = Type.Object(
  { wait: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);

export const ReadQuery = Type.Object(
  {
    consistency: Type.Optional(Consistency),
    write_token: Type.Optional(Type.String({ maxLength: 100_000 })),
  },
  { additionalProperties: false },
);

export const VectorResponse = Type.Object({
  id: Type.String(),
  vector: Type.Array(Type.Number()),
  metadata: Metadata,
});
export type VectorResponse = Static<typeof VectorResponse>;
