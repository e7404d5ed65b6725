import { type Static, Type } from "typebox";

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Record(Type.String(), Type.Unknown()),
    }),
  },
  { $id: "ErrorResponse", description: "Every error: a code, a message naming the field, details" },
);

export const Metric = Type.Union(
  [Type.Literal("l2"), Type.Literal("cosine"), Type.Literal("dot")],
  {
    description: "l2 (squared Euclidean), cosine or dot",
  },
);
export const IndexType = Type.Union([Type.Literal("hnsw"), Type.Literal("flat")]);

export const Consistency = Type.Union(
  [Type.Literal("eventual"), Type.Literal("session"), Type.Literal("strong")],
  {
    description:
      "eventual: what the shards have applied; session: at least the writes of write_token; " +
      "strong: everything acknowledged before the request",
  },
);
export type Consistency = Static<typeof Consistency>;

export const Metadata = Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], {
  description: "A JSON object, filterable in searches",
});

export const LibraryParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });
export const VectorParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 128 }),
  vid: Type.String({ minLength: 1, maxLength: 256 }),
});

export const WriteResponse = Type.Object({
  status: Type.Union([Type.Literal("acknowledged"), Type.Literal("applied")], {
    description: "acknowledged: durable in the log; applied: also applied by the shards (wait)",
  }),
  count: Type.Integer({ description: "vectors in the request" }),
  write_token: Type.String({
    description: "pass it with consistency: session to read this write",
  }),
});
export type WriteResponse = Static<typeof WriteResponse>;
