import type {
  ConcreteQuantizationConfig,
  HnswConfig,
  QuantizationConfig,
} from "./quantization-config.js";

/** Metadata of a vector: a JSON object, filterable later. */
export type Metadata = Record<string, unknown>;

export interface LibraryCreated {
  type: "library.created";
  libraryId: string;
  tenantId: string;
  name: string;
  dimension: number;
  metric: "l2" | "cosine" | "dot";
  indexType: "hnsw" | "flat";
  hnsw: HnswConfig;
  quantization: QuantizationConfig;
  /** Data partitions the library's vectors are spread over (0..partitions-1); 1 when absent. */
  partitions?: number;
  createdAtMs: number;
}

/** A library as the catalog records it: its library.created event, config updated by later events. */
export type LibraryRecord = Omit<LibraryCreated, "type">;

export interface LibraryConfigChanged {
  type: "library.config_changed";
  libraryId: string;
  quantization: QuantizationConfig;
}

export interface LibraryDeleted {
  type: "library.deleted";
  libraryId: string;
}

/** A batch of vectors of one library, all in the partition the event is appended to. */
export interface VectorsUpserted {
  type: "vectors.upserted";
  libraryId: string;
  ids: string[];
  /** ids.length * dimension float32 values, row by row (binary on the wire). */
  vectors: Float32Array;
  dimension: number;
  /** One entry per id; null for none. */
  metadata: (Metadata | null)[];
}

export interface VectorsDeleted {
  type: "vectors.deleted";
  libraryId: string;
  ids: string[];
}

export interface MigrationStarted {
  type: "migration.started";
  libraryId: string;
  migrationId: string;
  from: QuantizationConfig;
  to: QuantizationConfig;
  /**
   * When `to` searches codes and the library holds enough vectors: the training whose quantizer
   * (a quantizer.trained event of this id, trained once for the whole library) the partitions
   * build the new index with. Absent: `to` is float32, or the library is still collecting its
   * sample (the partitions build it exact and train later, as a new library does).
   */
  trainingId?: string;
  /** When the coordinator appended it (ms since the epoch). */
  atMs?: number;
}

export interface MigrationProgressed {
  type: "migration.progressed";
  libraryId: string;
  migrationId: string;
  partition: number;
  done: number;
  total: number;
}

export interface MigrationCompleted {
  type: "migration.completed";
  libraryId: string;
  migrationId: string;
  /** When the coordinator appended it (ms since the epoch). */
  atMs?: number;
}

export interface MigrationFailed {
  type: "migration.failed";
  libraryId: string;
  migrationId: string;
  reason: string;
  /** When the coordinator appended it (ms since the epoch). */
  atMs?: number;
}

/** A user cancelled a migration: partitions drop its rebuild, or rebuild back if they switched. */
export interface MigrationCancelled {
  type: "migration.cancelled";
  libraryId: string;
  migrationId: string;
  reason: string;
  /** When the coordinator appended it (ms since the epoch). */
  atMs?: number;
}

/**
 * A quantizer trained once for a whole library, on a sample drawn across its partitions (brief
 * §1: the sample is the library's), appended to each of the library's data partitions so that
 * every partition, replica and restart builds on the same codes. Large quantizers (PQ codebooks
 * of high dimensions) travel in several parts under the log's message size limit; a partition
 * uses a training once every part of one run has arrived.
 */
export interface QuantizerTrained {
  type: "quantizer.trained";
  libraryId: string;
  trainingId: string;
  /** The run that produced these bytes: two runs of one training never mix their parts. */
  runId: string;
  /** The config the quantizer was trained for (what the library runs, or a migration's target). */
  config: ConcreteQuantizationConfig;
  /** Bytes [part * partBytes, ...) of the serialized quantizer. */
  parameters: Uint8Array;
  part: number;
  parts: number;
  /** Vectors the quantizer was trained on. */
  sampleSize: number;
  trainedAtMs: number;
}

/** In the catalog: a library's training was published to its partitions (no parameters). */
export interface LibraryTrained {
  type: "library.trained";
  libraryId: string;
  trainingId: string;
  config: ConcreteQuantizationConfig;
  sampleSize: number;
  trainedAtMs: number;
  /** The migration this training was for, when it was one. */
  migrationId?: string;
}

/**
 * The adaptive policy's decision for a library, kept as its last-value fact in the coordinators'
 * KV store (`lib.<id>.decision`); earlier versions appended it to the catalog partition.
 */
export interface PolicyDecision {
  type: "policy.decision";
  libraryId: string;
  decision: QuantizationConfig;
  /** The measured inputs the decision was made from (memory bytes, recall, size...). */
  inputs: Record<string, number>;
  reason: string;
  /** When the policy decided (ms since the epoch). */
  atMs?: number;
}

/**
 * A recall probe's measurement of a library: the live search against exact search over the
 * originals, for queries sampled from the library's own vectors. Kept as the library's last-value
 * fact in the coordinators' KV store (`lib.<id>.recall`); earlier versions appended it to the
 * catalog partition, where the catalog still takes it from.
 */
export interface RecallMeasured {
  type: "recall.measured";
  libraryId: string;
  /** Mean recall@10 and recall@100 over the sampled queries, each query's own id left out. */
  recallAt10: number;
  recallAt100: number;
  /** Queries measured. */
  sampleSize: number;
  /** Vectors the library held when measured. */
  numVectors: number;
  /** The concrete strategy searched (for adaptive: the one it had chosen). */
  strategy: string;
  measuredAtMs: number;
  durationMs: number;
}

export type QuiverEvent =
  | LibraryCreated
  | LibraryConfigChanged
  | LibraryDeleted
  | VectorsUpserted
  | VectorsDeleted
  | MigrationStarted
  | MigrationProgressed
  | MigrationCompleted
  | MigrationFailed
  | MigrationCancelled
  | PolicyDecision
  | RecallMeasured
  | QuantizerTrained
  | LibraryTrained;

export type EventType = QuiverEvent["type"];

export const EVENT_TYPES: readonly EventType[] = [
  "library.created",
  "library.config_changed",
  "library.deleted",
  "vectors.upserted",
  "vectors.deleted",
  "migration.started",
  "migration.progressed",
  "migration.completed",
  "migration.failed",
  "migration.cancelled",
  "policy.decision",
  "recall.measured",
  "quantizer.trained",
  "library.trained",
];
