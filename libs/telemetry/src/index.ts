export { memoryLimitBytes } from "./memory-limit.js";
export { createLogger, type Logger, silentLogger } from "./logger.js";
export {
  collectProcessMetrics,
  type CoordinatorMetrics,
  createCoordinatorMetrics,
  createShardMetrics,
  LIBRARY_MEMORY_COMPONENTS,
  type LibraryMemoryComponent,
  type LibraryMemoryRow,
  type ShardMetrics,
} from "./metrics.js";
export { type RecallReading, registerRecallMetrics } from "./recall-metrics.js";
export { Registry } from "prom-client";
