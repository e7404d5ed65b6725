import {
  ApiErrorCode,
  invalidField,
  type MigrateBody,
  resolveQuantization,
  STRATEGIES,
} from "@quiver/api";
import { effectiveQuantization, type QuantizationConfig } from "@quiver/events";

/**
 * The config a migrate request asks for, with its defaults, or a 400 naming the field. To an
 * adaptive config, the index the policy chose so far carries over.
 */
export function targetConfig(
  body: MigrateBody,
  current: QuantizationConfig,
  dimension: number,
): QuantizationConfig {
  if (body.preserve_data === false) {
    throw invalidField(
      "preserve_data",
      "must be true: a migration rebuilds from the stored originals and keeps every vector",
    );
  }
  const { new_strategy: strategy, quantization_config: config } = body;
  if (strategy === undefined && config === undefined)
    throw invalidField("new_strategy", "or quantization_config is required");
  if (strategy !== undefined && !(STRATEGIES as readonly string[]).includes(strategy)) {
    throw invalidField(
      "new_strategy",
      `must be one of ${STRATEGIES.join(", ")}`,
      ApiErrorCode.InvalidConfig,
    );
  }
  if (strategy !== undefined && config !== undefined && config.strategy !== strategy) {
    throw invalidField(
      "new_strategy",
      `differs from quantization_config.strategy (${config.strategy})`,
      ApiErrorCode.InvalidConfig,
    );
  }
  const to = resolveQuantization(config ?? { strategy }, dimension);
  if (to.strategy === "adaptive") return { ...to, current: effectiveQuantization(current) };
  return to;
}
