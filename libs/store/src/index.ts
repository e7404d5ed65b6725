export { isStoreError, StoreError, StoreErrorCode } from "./errors.js";
export { PartitionStore, type PartitionStoreOptions, PartitionWriter } from "./partition-store.js";
export type {
  DeadLetter,
  PartitionLibrary,
  PartitionMigration,
  SnapshotInfo,
  StoredVector,
} from "./records.js";
