import type { Metric } from "../metric.js";
import { ProductQuantizer } from "../quantization/product-quantizer.js";
import { ScalarQuantizer } from "../quantization/scalar-quantizer.js";
import { type StoreSpec, storeSpecFromParameters } from "../storage/create-store.js";
import { normalizeInPlace } from "../vector-checks.js";
import { codesOf, type StrategyConfig } from "./strategy-config.js";

/**
 * Trains the strategy's quantizer on the first `n` rows of `sample` (`dim` floats each), as a
 * library trains it: on unit-length rows for cosine (a normalised copy; the caller's rows are not
 * changed). A strategy without codes gives the float32 spec. Training is separate from building
 * the index: a shard that receives trained parameters only loads them (`loadQuantizer`).
 */
export function trainQuantizer(
  strategy: StrategyConfig,
  sample: Float32Array,
  n: number,
  dim: number,
  metric: Metric,
): StoreSpec {
  const codes = codesOf(strategy);
  if (codes === undefined) return { kind: "f32" };
  let rows = sample.subarray(0, n * dim);
  if (metric === "cosine") {
    rows = rows.slice();
    for (let r = 0; r < n; r++) normalizeInPlace(rows.subarray(r * dim, (r + 1) * dim), dim);
  }
  if (codes === "scalar") {
    const bits = "bits" in strategy ? strategy.bits : undefined;
    return { kind: "scalar", quantizer: ScalarQuantizer.train(rows, n, dim, { bits }) };
  }
  const subvectors = "subvectors" in strategy ? strategy.subvectors : undefined;
  const codebookSize = "codebook_size" in strategy ? strategy.codebook_size : undefined;
  return {
    kind: "product",
    quantizer: ProductQuantizer.train(rows, n, dim, { subvectors, codebookSize }),
  };
}

/** The parameters of a trained quantizer, to persist (undefined for float32). */
export function quantizerBytes(spec: StoreSpec): Uint8Array | undefined {
  return spec.kind === "f32" ? undefined : spec.quantizer.serialize();
}

/** A quantizer back from `quantizerBytes` output, for the codes `strategy` searches on. */
export function loadQuantizer(
  strategy: StrategyConfig,
  dim: number,
  parameters: Uint8Array,
): StoreSpec {
  const codes = codesOf(strategy);
  if (codes === undefined) return { kind: "f32" };
  return storeSpecFromParameters(codes, dim, parameters);
}
