export { createLogger, type Logger, silentLogger } from "./logger.js";
export {
  type CoordinatorMetrics,
  createCoordinatorMetrics,
  createShardMetrics,
  type ShardMetrics,
} from "./metrics.js";
export { Registry } from "prom-client";
