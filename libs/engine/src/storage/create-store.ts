import { EngineError, EngineErrorCode } from "../errors.js";
import type { KernelMemory } from "../kernels/kernel-memory.js";
import type { Metric } from "../metric.js";
import { ProductQuantizer } from "../quantization/product-quantizer.js";
import { ScalarQuantizer } from "../quantization/scalar-quantizer.js";
import { F32Store } from "./f32-store.js";
import { ProductStore } from "./product-store.js";
import { ScalarStore } from "./scalar-store.js";
import type { StoreKind, VectorStore } from "./vector-store.js";

/** How to store vectors: float32, or codes of a trained quantizer. */
export type StoreSpec =
  | { kind: "f32" }
  | { kind: "scalar"; quantizer: ScalarQuantizer }
  | { kind: "product"; quantizer: ProductQuantizer };

export function createStore(
  mem: KernelMemory,
  dim: number,
  metric: Metric,
  spec: StoreSpec,
): VectorStore {
  switch (spec.kind) {
    case "f32":
      return new F32Store(mem, dim, metric);
    case "scalar":
      return new ScalarStore(mem, dim, metric, spec.quantizer);
    case "product":
      return new ProductStore(mem, dim, metric, spec.quantizer);
  }
}

/** Rebuilds a StoreSpec from a snapshot's store kind and parameter bytes. */
export function storeSpecFromParameters(
  kind: string,
  dim: number,
  parameters: Uint8Array,
): StoreSpec {
  switch (kind as StoreKind) {
    case "f32":
      return { kind: "f32" };
    case "scalar":
      return { kind: "scalar", quantizer: ScalarQuantizer.deserialize(parameters, dim) };
    case "product":
      return { kind: "product", quantizer: ProductQuantizer.deserialize(parameters, dim) };
    default:
      throw new EngineError(EngineErrorCode.InvalidSnapshot, `unknown store kind "${kind}"`, {
        kind,
      });
  }
}
