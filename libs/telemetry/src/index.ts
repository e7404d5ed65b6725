export { memoryLimitBytes } from "./memory-limit.js";
export { createLogger, type Logger, silentLogger } from "./logger.js";
export {
  collectProcessMetrics,
  type CoordinatorMetrics,
  createCoordinatorMetrics,
  createShardMetrics,
  type ShardMetrics,
} from "./metrics.js";
export {
  DEFAULT_MAX_LIBRARY_SERIES,
  LIBRARY_MEMORY_COMPONENTS,
  type LibraryMemoryComponent,
  type LibraryMemoryRow,
  maxLibrarySeries,
  OTHER_LIBRARIES,
  registerLibraryMetrics,
} from "./library-metrics.js";
export { type RecallReading, registerRecallMetrics } from "./recall-metrics.js";
export { type KernelMemoryFigures, registerWorkerMemoryMetrics } from "./worker-memory-metrics.js";
export { AggregatorRegistry, Registry } from "prom-client";

/** Anything /metrics can read text from: a prom-client Registry, or a merge of several. */
export interface MetricsSource {
  metrics(): Promise<string>;
}
