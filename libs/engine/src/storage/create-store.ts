import { EngineError, EngineErrorCode } from "../errors.js";
import type { Metric } from "../metric.js";
import { ProductQuantizer } from "../quantization/product-quantizer.js";
import { ScalarQuantizer } from "../quantization/scalar-quantizer.js";
import { F32Store } from "./f32-store.js";
import { ProductStore } from "./product-store.js";
import { ScalarStore } from "./scalar-store.js";
import type { StoreKind, VectorStore } from "./vector-store.js";
import type { RegionSet } from "../workspace/region.js";

/** How to store vectors: float32, or codes of a trained quantizer. */
export type StoreSpec =
  | { kind: "f32" }
  | { kind: "scalar"; quantizer: ScalarQuantizer }
  | { kind: "product"; quantizer: ProductQuantizer };

/** A store with its regions in `home`; `capacity` sizes its arena (else it starts small). */
export function createStore(
  home: RegionSet,
  dim: number,
  metric: Metric,
  spec: StoreSpec,
  capacity?: number,
): VectorStore {
  switch (spec.kind) {
    case "f32":
      return new F32Store(home, dim, metric, capacity);
    case "scalar":
      return new ScalarStore(home, dim, metric, spec.quantizer, capacity);
    case "product":
      return new ProductStore(home, dim, metric, spec.quantizer, capacity);
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
