import type { ConcreteQuantizationConfig } from "@quiver/events";
import { trainingSample, trainQuantizer } from "../partition/index-build.js";

/** What a training thread trains on. */
export interface TrainingInput {
  config: ConcreteQuantizationConfig;
  dimension: number;
  metric: "l2" | "cosine" | "dot";
  /** `n` sampled vectors, row by row. */
  values: Float32Array;
  n: number;
}

/** The serialized quantizer of `config` trained on the sample (unit-length rows for cosine). */
export function trainedParameters(input: TrainingInput): Uint8Array {
  const { config, dimension, metric, values, n } = input;
  const rows = (function* () {
    for (let i = 0; i < n; i++) yield values.subarray(i * dimension, (i + 1) * dimension);
  })();
  const { sample, n: taken } = trainingSample({ dimension, metric, quantization: config }, rows);
  const spec = trainQuantizer(config, sample, taken, dimension);
  if (spec.kind === "f32") throw new Error(`strategy ${config.strategy} has no quantizer to train`);
  return spec.quantizer.serialize();
}
