/**
 * What a coordinator asks of a shard node, and what it answers. The same calls are made in
 * process (embedded mode) and over NATS request/reply (cluster), so both run one code path.
 */
import type { ConcreteQuantizationConfig } from "@quiver/events";
import type { MetadataObject } from "./filter/compile-filter.js";

export interface ShardSearchRequest {
  libraryId: string;
  partitions: number[];
  /** Query vectors, row by row. */
  queries: Float32Array;
  dimension: number;
  k: number;
  ef?: number;
  rerankTopK?: number;
  /** Exhaustive search over the float32 originals instead of the index. */
  exact?: boolean;
  filter?: Record<string, unknown>;
  /** Per partition: a sequence the shard must have applied before it searches (consistency). */
  minSeqs?: Record<number, number>;
  includeMetadata: boolean;
  includeVectors: boolean;
  /** Time the shard may spend, waiting for minSeqs included. */
  timeoutMs: number;
  /** Ask for the shard's own timings in the response (the coordinator's Server-Timing). */
  timings?: boolean;
}

export interface ShardHit {
  id: string;
  distance: number;
  metadata?: MetadataObject | null;
  vector?: number[];
}

/** Why a partition could not answer. */
export type PartitionErrorCode =
  | "PARTITION_NOT_SERVED"
  | "PARTITION_HALTED"
  | "TIMEOUT"
  | "DIMENSION_MISMATCH"
  | "INVALID_FILTER"
  /** The library's index could not be built in the partition (a resource error): it alone. */
  | "LIBRARY_FAILED"
  | "INTERNAL";

export interface PartitionFailure {
  code: PartitionErrorCode;
  message: string;
}

export interface PartitionSearchResult {
  partition: number;
  /** One list per query, best first; absent when the partition failed. */
  hits?: ShardHit[][];
  error?: PartitionFailure;
}

/** Where a shard's time on one search request went, ms (when the request asked for timings). */
export interface ShardSearchTimings {
  /** The partitions' searches: index work, ids and metadata of the hits (rerank included). */
  searchMs: number;
  /** Of searchMs, hybrid's float32 rerank. */
  rerankMs: number;
}

export interface ShardSearchResponse {
  results: PartitionSearchResult[];
  timings?: ShardSearchTimings;
}

export interface ShardGetRequest {
  libraryId: string;
  partition: number;
  ids: string[];
  minSeq?: number;
  timeoutMs: number;
}

export interface StoredVectorView {
  id: string;
  vector: Float32Array;
  metadata: MetadataObject | null;
}

export interface ShardGetResponse {
  /** One entry per requested id, null when the partition does not hold it. */
  vectors?: (StoredVectorView | null)[];
  error?: PartitionFailure;
}

export type PartitionServingState = "catching_up" | "serving" | "halted" | "stopped";

export interface PartitionState {
  partition: number;
  state: PartitionServingState;
  /** The last sequence applied, -1 when the partition's thread did not say in time (busy). */
  appliedSeq: number;
  error?: string;
}

export interface ShardStatus {
  shardId: string;
  partitions: PartitionState[];
}

/** Bytes a library's index holds in one partition, by component (the engine's memory usage). */
export interface IndexBytes {
  /** Vectors or codes the search reads. */
  vectors: number;
  /** Quantizer parameters (ranges, codebooks). */
  quantizer: number;
  /** Graph links and per-node bookkeeping. */
  graph: number;
  /** Float32 originals held in RAM for reranking (hybrid's cache). */
  originals: number;
  /** Scratch buffers and visited marks. */
  other: number;
  total: number;
}

/** Where a partition stands in a library's latest migration. */
export interface PartitionMigrationProgress {
  migrationId: string;
  state: "building" | "switched" | "rolling_back" | "rolled_back" | "abandoned" | "failed";
  done: number;
  total: number;
  error?: string;
}

export interface PartitionLibraryStats {
  partition: number;
  vectors: number;
  /** exact: float32 (strategy none, or a quantized one still collecting its training sample). */
  phase: "exact" | "quantized";
  index: IndexBytes;
  /** Decoded metadata cached for filters: an estimate (its JSON size). */
  metadataBytes: number;
  /** The strategy the partition's index is built for (it changes when a migration switches). */
  strategy: string;
  /** The training whose quantizer the index runs (absent: float32, or not trained yet). */
  trainingId?: string;
  /** Why the library's index cannot serve in this partition (absent: it can). */
  error?: string;
  migration?: PartitionMigrationProgress;
  /**
   * Hybrid's LRU float32 cache (absent for other strategies): its budget, the bytes it holds (also
   * in `index.originals`), and the rerank reads it served and passed to the store.
   */
  float32Cache?: { capacityBytes: number; bytes: number; hits: number; misses: number };
}

export interface ShardLibraryStats {
  shardId: string;
  partitions: PartitionLibraryStats[];
}

/** One library in one partition, as a shard's statistics of all it holds list it. */
export interface LibraryPartitionStats extends PartitionLibraryStats {
  libraryId: string;
}

export interface ShardNodeStatsRequest {
  /** Paging, for transports with a message size limit: rows from this position on... */
  offset?: number;
  /** ...at most this many (every one unless told)... */
  limit?: number;
  /**
   * ...of the gathering the first page answered (its `gathering`): the pages of one round read
   * the rows gathered once, and agree. Without it (or once it is gone) the rows are gathered anew.
   */
  gathering?: string;
}

/** Everything a shard's serving partitions hold: one row per library and partition. */
export interface ShardNodeStats {
  shardId: string;
  rows: LibraryPartitionStats[];
  /** Where the next page starts, when `limit` cut the rows... */
  next?: number;
  /** ...and the gathering the next pages are read from. */
  gathering?: string;
}

export interface ShardSampleRequest {
  libraryId: string;
  partitions: number[];
  /** Most vectors to answer, over all the partitions (split by their live vector counts). */
  count: number;
  /** The same seed over the same state answers the same sample. */
  seed: number;
  /**
   * Paging, for transports with a message size limit: answer the sample from this position
   * (0 unless told), with at most this many bytes of vectors; `next` says where the rest starts.
   */
  offset?: number;
  maxBytes?: number;
}

export interface SampledVector {
  id: string;
  /** The float32 original. */
  vector: Float32Array;
  partition: number;
}

export interface ShardSampleResponse {
  vectors: SampledVector[];
  /** Where the next page starts, when the sample did not fit in maxBytes. */
  next?: number;
}

/**
 * Train a library's quantizer once, for all its partitions: the shard draws the sample across
 * the library's partitions (wherever they are served), trains in a background thread, and
 * appends the quantizer to each partition's log (quantizer.trained) and a record to the catalog
 * (library.trained). Answers once the events are in the log.
 */
export interface ShardTrainRequest {
  libraryId: string;
  trainingId: string;
  config: ConcreteQuantizationConfig;
  dimension: number;
  metric: "l2" | "cosine" | "dot";
  /** The library's data partitions (0..partitions-1). */
  partitions: number;
  sampleSize: number;
  seed: number;
  /** The migration the training is for, when it is one. */
  migrationId?: string;
}

export interface ShardTrainResponse {
  trainingId: string;
  /** Vectors the quantizer was trained on. */
  sampleSize: number;
  /** Events the quantizer took per partition. */
  parts: number;
  trainMs: number;
}

/** Where a benchmark's queries come from: drawn from the library, or sent by the caller. */
export type BenchmarkQueries =
  | { source: "library"; count: number }
  | { source: "request"; count: number; vectors: Float32Array };

/**
 * Run a benchmark job (its record already in the KV store, created by the coordinator): the
 * shard takes the job over (its record names the shard from then on), answers at once, and
 * measures in a thread of its own on a sample drawn across the library's partitions, writing
 * progress, heartbeats and the result to the job's record.
 */
export interface ShardBenchmarkRequest {
  libraryId: string;
  jobId: string;
  /** The library's data partitions (0..partitions-1). */
  partitions: number;
  dimension: number;
  metric: "l2" | "cosine" | "dot";
  indexType: "hnsw" | "flat";
  hnsw: { m: number; efConstruction: number; efSearch: number };
  strategies: ConcreteQuantizationConfig[];
  queries: BenchmarkQueries;
  /** Most library vectors the indexes are built from. */
  sampleSize: number;
  /** Vectors the library holds (memory is extrapolated to it from the sample). */
  libraryVectors: number;
  targetRecall: number;
  memoryBudgetBytes?: number;
}

export interface ShardBenchmarkResponse {
  jobId: string;
  /** The shard running it. */
  runner: string;
}

/** A shard node as a coordinator sees it. */
export interface ShardClient {
  readonly shardId: string;
  search(request: ShardSearchRequest): Promise<ShardSearchResponse>;
  get(request: ShardGetRequest): Promise<ShardGetResponse>;
  /**
   * Waits until each partition has applied its sequence, or the time is up; answers the applied
   * sequences reached (a partition the shard does not serve answers -1).
   */
  waitApplied(minSeqs: Record<number, number>, timeoutMs: number): Promise<Record<number, number>>;
  status(): Promise<ShardStatus>;
  /** What a library holds in the partitions this shard serves (of those asked). */
  libraryStats(libraryId: string, partitions: number[]): Promise<ShardLibraryStats>;
  /**
   * What every serving partition holds of every library, in one call per shard (not per
   * library): the controllers' view of ten thousand libraries.
   */
  nodeStats(request?: ShardNodeStatsRequest): Promise<ShardNodeStats>;
  /**
   * A seeded sample of up to `count` live vectors of a library, drawn uniformly over the
   * partitions this shard serves (of those asked), with their float32 originals.
   */
  sample(request: ShardSampleRequest): Promise<ShardSampleResponse>;
  train(request: ShardTrainRequest): Promise<ShardTrainResponse>;
  /** Takes a benchmark job over and starts it; answers once the job's record names this shard. */
  benchmark(request: ShardBenchmarkRequest): Promise<ShardBenchmarkResponse>;
}
