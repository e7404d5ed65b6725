import type { Dataset } from "@quiver/testing";
import { FlatIndex, Rng, sampleIndices, type StoreSpec } from "../src/index.js";

/** `count` base vectors drawn without replacement (seeded): a training or calibration sample. */
export function sampleRows(
  data: Dataset,
  count: number,
  seed = 7,
): { rows: Float32Array; count: number } {
  const ids = sampleIndices(data.baseCount, count, new Rng(seed));
  const rows = new Float32Array(ids.length * data.dim);
  ids.forEach((id, i) =>
    rows.set(data.base.subarray(id * data.dim, (id + 1) * data.dim), i * data.dim),
  );
  return { rows, count: ids.length };
}

/** An exhaustive index over the whole base, in the given storage. */
export function flatIndexOf(data: Dataset, storage: StoreSpec): FlatIndex {
  const flat = new FlatIndex({
    dim: data.dim,
    metric: data.metric,
    storage,
    capacity: data.baseCount,
  });
  for (let i = 0; i < data.baseCount; i++)
    flat.upsert(i, data.base.subarray(i * data.dim, (i + 1) * data.dim));
  return flat;
}

export function queryOf(data: Dataset, q: number): Float32Array {
  return data.queries.subarray(q * data.dim, (q + 1) * data.dim);
}

/** The product's default sample sizes (libs/events QUANTIZATION_DEFAULTS), for the same training. */
export const CALIBRATION_SAMPLES = 10_000;
export const TRAINING_SAMPLES = 50_000;
