import type { ConcreteQuantizationConfig, QuantizerTrained } from "@quiver/events";
import { trainedParameters } from "../training/train-quantizer.js";

/**
 * The quantizer.trained events a shard's training would append to one partition: `config`
 * trained on `rows` (n vectors of `dimension`), its bytes cut into `parts` events.
 */
export function quantizerTrainedEvents(options: {
  libraryId: string;
  trainingId: string;
  config: ConcreteQuantizationConfig;
  dimension: number;
  metric?: "l2" | "cosine" | "dot";
  rows: Float32Array;
  n: number;
  parts?: number;
  runId?: string;
}): QuantizerTrained[] {
  const { libraryId, trainingId, config, dimension, rows, n } = options;
  const parameters = trainedParameters({
    config,
    dimension,
    metric: options.metric ?? "l2",
    values: rows,
    n,
  });
  const parts = options.parts ?? 1;
  const size = Math.ceil(parameters.byteLength / parts);
  return Array.from({ length: parts }, (_, part) => ({
    type: "quantizer.trained",
    libraryId,
    trainingId,
    runId: options.runId ?? "run",
    config,
    parameters: parameters.subarray(part * size, (part + 1) * size),
    part,
    parts,
    sampleSize: n,
    trainedAtMs: 1,
  }));
}
