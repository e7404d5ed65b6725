export { createLogger, type Logger, silentLogger } from "./logger.js";
export {
  type CoordinatorMetrics,
  createCoordinatorMetrics,
  createShardMetrics,
  type ShardMetrics,
} from "./metrics.js";
export { type RecallReading, registerRecallMetrics } from "./recall-metrics.js";
export { Registry } from "prom-client";
