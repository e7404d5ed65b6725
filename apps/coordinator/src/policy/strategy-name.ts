import type { ConcreteQuantizationConfig } from "@quiver/events";

/** none, scalar, product, hybrid-scalar, hybrid-product: what an index runs, in one word. */
export function strategyName(config: ConcreteQuantizationConfig): string {
  return config.strategy === "hybrid" ? `hybrid-${config.initial_search}` : config.strategy;
}
