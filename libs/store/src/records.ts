import type {
  ConcreteQuantizationConfig,
  LibraryRecord,
  Metadata,
  QuantizationConfig,
} from "@quiver/events";

/**
 * Where a partition stands in a library's latest migration. `building`: the index of `to` is
 * being built while the index of `from` serves; `switched`: `to` serves; `rolling_back`: the
 * migration was cancelled or failed after the switch, and the index of `from` is being rebuilt;
 * `rolled_back` / `abandoned`: `from` serves (after a switch back / without ever switching);
 * `failed`: the rebuild failed here (`error`), `from` serves.
 */
export interface PartitionMigration {
  migrationId: string;
  from: QuantizationConfig;
  to: QuantizationConfig;
  /** The training whose quantizer `to` is built with (see MigrationStarted.trainingId). */
  trainingId?: string;
  state: "building" | "switched" | "rolling_back" | "rolled_back" | "abandoned" | "failed";
  error?: string;
}

/**
 * A library's quantizer trained outside a migration (its first training, once the library's
 * sample was full): `building`, the index on its codes is being built while the exact one
 * serves; `switched`, it serves; `failed`, the build failed here (`error`), the exact index serves.
 */
export interface PartitionTraining {
  trainingId: string;
  config: ConcreteQuantizationConfig;
  state: "building" | "switched" | "failed";
  error?: string;
}

/** A library as a partition knows it: the catalog's record and the partition's own state. */
export type PartitionLibrary = LibraryRecord & {
  migration?: PartitionMigration;
  training?: PartitionTraining;
};

/** An event that could not be applied, kept with its bytes and the reason. */
export interface DeadLetter {
  partition: number;
  seq: number;
  msgId: string;
  /** An error code: MALFORMED_EVENT, UNKNOWN_EVENT_TYPE, UNKNOWN_LIBRARY, INVALID_VECTOR... */
  code: string;
  reason: string;
  data: Uint8Array;
  atMs: number;
}

export interface SnapshotInfo {
  /** The partition's applied sequence when the snapshot was taken. */
  seq: number;
  bytes: number;
  /** LMDB chunks holding it (0: in a file). */
  chunks: number;
  atMs: number;
  /**
   * Which write of the library's snapshot this is: its file (or, before files, its chunks) is
   * named by it, so the next snapshot is written beside this one and replaces it in one last
   * step. Absent in snapshots written before generations (chunks keyed without one).
   */
  generation?: number;
  /** In a file of its own (SnapshotFiles), which must have `bytes` bytes and this CRC-32. */
  file?: boolean;
  crc32?: number;
}

export interface StoredVector {
  internalId: number;
  vectorId: string;
  vector: Float32Array;
  metadata: Metadata | null;
}
