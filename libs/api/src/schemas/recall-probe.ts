import { type Static, Type } from "typebox";

export const MAX_PROBE_SAMPLE = 2000;
export const DEFAULT_PROBE_SAMPLE = 200;

const ProbeRecallFields = Type.Object(
  {
    sample_size: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_PROBE_SAMPLE,
        description: `queries sampled from the library's vectors (default ${DEFAULT_PROBE_SAMPLE})`,
      }),
    ),
    seed: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 4_294_967_295,
        description: "draws the same queries again from the same vectors (default: a new draw)",
      }),
    ),
  },
  { additionalProperties: false },
);

/** The body is optional: no body probes with the defaults. */
export const ProbeRecallBody = Type.Union([ProbeRecallFields, Type.Null()]);
export type ProbeRecallBody = Static<typeof ProbeRecallFields>;

export const RecallMeasurementResponse = Type.Object({
  library_id: Type.String(),
  recall_at_10: Type.Number({ description: "mean recall@10 of the live search against exact" }),
  recall_at_100: Type.Number(),
  sample_size: Type.Integer({ description: "queries measured" }),
  num_vectors: Type.Integer({ description: "vectors the library held when measured" }),
  measured_at: Type.String({ format: "date-time" }),
  duration_ms: Type.Number(),
  strategy: Type.String({ description: "the strategy the live search used" }),
});
export type RecallMeasurementResponse = Static<typeof RecallMeasurementResponse>;
