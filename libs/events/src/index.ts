export { decodeEvent, encodeEvent, EVENT_FORMAT_VERSION } from "./codec.js";
export { EventDecodeError, EventErrorCode, isEventDecodeError } from "./errors.js";
export {
  EVENT_TYPES,
  type EventType,
  type LibraryConfigChanged,
  type LibraryCreated,
  type LibraryDeleted,
  type LibraryRecord,
  type Metadata,
  type MigrationCompleted,
  type MigrationFailed,
  type MigrationCancelled,
  type MigrationProgressed,
  type MigrationStarted,
  type PolicyDecision,
  type QuiverEvent,
  type RecallMeasured,
  type VectorsDeleted,
  type VectorsUpserted,
} from "./events.js";
export {
  type ConcreteQuantizationConfig,
  CONFIG_LIMITS,
  defaultSubvectors,
  effectiveQuantization,
  HNSW_DEFAULTS,
  type HnswConfig,
  QUANTIZATION_DEFAULTS,
  type QuantizationConfig,
  type Strategy,
} from "./quantization-config.js";
export {
  CATALOG_PARTITION,
  EVENT_STREAM,
  PARTITION_SUBJECT_PREFIX,
  PARTITION_SUBJECTS,
  partitionOf,
  partitionOfSubject,
  partitionSubject,
} from "./subjects.js";
