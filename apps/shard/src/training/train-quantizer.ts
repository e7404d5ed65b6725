import type { ConcreteQuantizationConfig } from "@quiver/events";
import { quantizerBytes, trainQuantizer } from "@quiver/engine";

/** What a training thread trains on. */
export interface TrainingInput {
  config: ConcreteQuantizationConfig;
  dimension: number;
  metric: "l2" | "cosine" | "dot";
  /** `n` sampled vectors, row by row. */
  values: Float32Array;
  n: number;
}

/** The serialized quantizer of `config` trained on the sample (the engine's training). */
export function trainedParameters(input: TrainingInput): Uint8Array {
  const { config, dimension, metric, values, n } = input;
  // the events' concrete config is the engine's strategy (plus keys the engine ignores)
  const parameters = quantizerBytes(trainQuantizer(config, values, n, dimension, metric));
  if (!parameters) throw new Error(`strategy ${config.strategy} has no quantizer to train`);
  return parameters;
}
