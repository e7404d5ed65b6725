export { EngineError, EngineErrorCode, invalidConfig, isEngineError } from "./errors.js";
export { exactNeighbours, type Neighbours } from "./exact/ground-truth.js";
export { recallAtK } from "./exact/recall.js";
export { FlatIndex, type FlatOptions } from "./flat/flat-index.js";
export {
  checkHnswParams,
  HNSW_DEFAULTS,
  HnswIndex,
  type HnswOptions,
  type HnswParams,
} from "./hnsw/hnsw-index.js";
export { checkMetric, METRICS, type Metric } from "./metric.js";
export {
  checkCodebookSize,
  checkSubvectors,
  defaultSubvectors,
  PRODUCT_DEFAULTS,
  ProductQuantizer,
  type ProductQuantizerOptions,
} from "./quantization/product-quantizer.js";
export {
  SCALAR_DEFAULTS,
  ScalarQuantizer,
  SUPPORTED_SCALAR_BITS,
  type ScalarQuantizerOptions,
} from "./quantization/scalar-quantizer.js";
export { Rng, sampleIndices } from "./random.js";
export type { StoreSpec } from "./storage/create-store.js";
export type { StoreKind } from "./storage/vector-store.js";
export { joinPieces, type SnapshotPiece } from "./snapshot/snapshot-format.js";
export type {
  IdFilter,
  MemoryUsage,
  SearchOptions,
  SearchResult,
  StoredIndex,
  VectorIndex,
} from "./vector-index.js";
export {
  HYBRID_DEFAULTS,
  HybridIndex,
  type HybridOptions,
  type HybridSearchOptions,
} from "./hybrid/hybrid-index.js";
export {
  InMemoryOriginals,
  type OriginalsSource,
  readOriginals,
} from "./hybrid/originals-source.js";
export {
  type BenchmarkInput,
  type StrategyMeasurement,
  strategyLabel,
} from "./benchmark/benchmark-config.js";
export {
  codesKey,
  codesOf,
  type IndexBlueprint,
  type StrategyConfig,
  trainingSampleSize,
} from "./build/strategy-config.js";
export { loadQuantizer, quantizerBytes, trainQuantizer } from "./build/train-quantizer.js";
export {
  type BuildOptions,
  type BuiltStrategyIndex,
  buildStrategyIndex,
  createStrategyIndex,
  type IndexPhase,
  type IndexRows,
  type StrategyIndex,
  type StrategyIndexOptions,
  wrapStrategyIndex,
} from "./build/strategy-index.js";
export { type ExactHits, ExactScan, type ExactScanOptions } from "./exact/exact-scan.js";
export {
  KernelWorkspace,
  type KernelWorkspaceOptions,
  type WorkspaceFigures,
} from "./workspace/kernel-workspace.js";
export { type BenchmarkProgress, percentile, runBenchmark } from "./benchmark/run-benchmark.js";
export {
  DEFAULT_TARGET_RECALL,
  MEMORY_TIE,
  recommend,
  type Recommendation,
  type RecommendationInput,
  type RecommendationRow,
} from "./benchmark/recommend.js";
export { CachedOriginals, type Float32CacheStats } from "./hybrid/cached-originals.js";
