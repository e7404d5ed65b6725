import { invalidConfig } from "./errors.js";

/** `l2`: squared Euclidean distance; `cosine`: 1 - cosine similarity; `dot`: -<a, b>. */
export type Metric = "l2" | "cosine" | "dot";

export const METRICS: readonly Metric[] = ["l2", "cosine", "dot"];

export function checkMetric(metric: unknown, field = "metric"): Metric {
  if (typeof metric !== "string" || !METRICS.includes(metric as Metric)) {
    throw invalidConfig(field, `must be one of ${METRICS.join(", ")}`, metric);
  }
  return metric as Metric;
}

/** Metric code stored in snapshots. */
export const METRIC_CODES: Record<Metric, number> = { l2: 0, cosine: 1, dot: 2 };
export const METRIC_BY_CODE: readonly Metric[] = ["l2", "cosine", "dot"];
