import type { QuantizationConfig } from "@quiver/events";

/** What create returns about a strategy (brief §2): expected savings and accuracy, as estimates. */
export interface QuantizationSummary {
  strategy: QuantizationConfig["strategy"];
  /** e.g. "75%": RAM of the vectors the search reads, saved against float32 (graph excluded). */
  memory_savings: string;
  memory_savings_ratio: number | null;
  /** e.g. "99.6%": recall@10 expected at the default search settings. */
  estimated_accuracy: string;
  estimated_recall_at_10: number | null;
  /** Where the estimates come from; the statistics report measured figures. */
  basis: string;
}

/**
 * Recall@10 measured by `npm run bench:ann` on Fashion-MNIST (60k x 784, l2) at the default
 * settings (M 16, ef_construction 200, ef_search 64, rerank_top_k 100), docs/benchmarks.md.
 */
const MEASURED_RECALL = {
  none: 0.9978,
  scalar: 0.9963,
  product: 0.8223,
  hybridScalar: 0.9984,
  hybridProduct: 0.9984,
};
const BASIS =
  "estimate: recall@10 measured on Fashion-MNIST with the default search settings (docs/benchmarks.md); " +
  "the library's statistics report the recall measured on its own data";

const percent = (ratio: number) => `${(ratio * 100).toFixed(ratio >= 0.99 ? 1 : 0)}%`;

export function summarizeQuantization(
  config: QuantizationConfig,
  dimension: number,
  indexType: "hnsw" | "flat",
): QuantizationSummary {
  const float32Bytes = 4 * dimension;
  let savings: number | null;
  let recall: number | null;
  switch (config.strategy) {
    case "none":
      savings = 0;
      recall = indexType === "flat" ? 1 : MEASURED_RECALL.none;
      break;
    case "scalar":
      savings = 1 - (dimension * config.bits) / 8 / float32Bytes;
      recall = MEASURED_RECALL.scalar;
      break;
    case "product":
      savings = 1 - config.subvectors / float32Bytes;
      recall = MEASURED_RECALL.product;
      break;
    case "hybrid":
      savings =
        config.initial_search === "scalar"
          ? 1 - (dimension * config.bits) / 8 / float32Bytes
          : 1 - config.subvectors / float32Bytes;
      recall =
        config.initial_search === "scalar"
          ? MEASURED_RECALL.hybridScalar
          : MEASURED_RECALL.hybridProduct;
      break;
    case "adaptive":
      savings = null;
      recall = config.target_accuracy;
      break;
  }
  return {
    strategy: config.strategy,
    memory_savings: savings === null ? "chosen by the adaptive policy" : percent(savings),
    memory_savings_ratio: savings === null ? null : Math.round(savings * 1e4) / 1e4,
    estimated_accuracy: recall === null ? "unknown" : percent(recall),
    estimated_recall_at_10: recall,
    basis:
      config.strategy === "adaptive"
        ? "the adaptive policy keeps measured recall@10 at or above target_accuracy"
        : BASIS,
  };
}
