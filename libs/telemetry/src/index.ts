export { createLogger, type Logger, silentLogger } from "./logger.js";
export { createShardMetrics, type ShardMetrics } from "./metrics.js";
