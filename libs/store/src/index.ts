export { isStoreError, StoreError, StoreErrorCode } from "./errors.js";
export { PartitionStore, type PartitionStoreOptions } from "./partition-store.js";
export { PartitionWriter } from "./partition-writer.js";
export { SnapshotWriter } from "./snapshots.js";
export type {
  DeadLetter,
  PartitionLibrary,
  PartitionMigration,
  PartitionTraining,
  SnapshotInfo,
  StoredVector,
} from "./records.js";
