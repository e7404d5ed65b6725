export { buildApp } from "./app.js";
export {
  Catalog,
  CATALOG_BUCKET,
  type CatalogOptions,
  type CatalogStartInfo,
  partitionsOf,
} from "./catalog/catalog.js";
export { type MigrationProgressFact } from "./catalog/fact-codec.js";
export {
  type Coordinator,
  type CoordinatorOptions,
  policyTiming,
  trainingInterval,
  serverTimingFrom,
  startCoordinator,
} from "./coordinator.js";
export { createServices, type PolicyOptions, type Services } from "./services.js";
export type { ServiceContext } from "./service/context.js";
export { NodeStatsRound, NodeStatsView } from "./service/node-stats-view.js";
export { ProbeScheduler } from "./service/probe/probe-scheduler.js";
export { sampleLibraryVectors } from "./service/sample-vectors.js";
export { serverTimingHeader, type TimingEntry } from "./service/request-timing.js";
export { mergeTopK } from "./service/search-service.js";
export { decodeWriteToken, encodeWriteToken, mergeWriteTokens } from "./service/write-token.js";
export { isPolicyError, PolicyError, PolicyErrorCode } from "./policy/errors.js";
export type {
  LibraryMemory,
  MemoryPressure,
  MemoryPressureSource,
  ShardMemory,
} from "./policy/memory-pressure.js";
export {
  pressureQueries,
  PrometheusSource,
  type PrometheusSourceOptions,
} from "./policy/prometheus-source.js";
export { ProcessSource, type ProcessSourceOptions } from "./policy/process-source.js";
