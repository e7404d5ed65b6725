import type { Metadata } from "@quiver/events";
import { type Database, type Key, open, type RootDatabase, TransactionFlags } from "lmdb";
import type { PartitionLibrary, SnapshotInfo } from "./records.js";

export type LibKey = [number, string];
export type VecKey = [number, string, number];
export type IdKey = [number, string, string];
/** [partition, library, chunk] before generations, [partition, library, generation, chunk] since. */
export type ChunkKey = [number, string, number] | [number, string, number, number];

export interface Allocation {
  /** Next never-used internal id. */
  next: number;
  /** Live vectors. */
  count: number;
}

export interface StoredDeadLetter {
  msgId: string;
  code: string;
  reason: string;
  data: Uint8Array;
  atMs: number;
}

// Committed and flushed before returning, inside the environment's write lock: LMDB's own commit.
// Not NO_SYNC_FLUSH, which with lmdb-js's overlapping sync (its default on Linux) flushes after
// the lock is released. Once suspected of lmdb-js's free-page list error, which came from two
// threads writing one environment (now one per partition, docs/log-and-store.md); kept as the
// better-trodden path.
export const APPLY_FLAGS = TransactionFlags.ABORTABLE | TransactionFlags.SYNCHRONOUS_COMMIT;

/** The last key of a [partition, libraryId, ...] prefix (library ids contain no NUL). */
export function libEnd(partition: number, libraryId: string): [number, string] {
  return [partition, `${libraryId}\u0000`];
}

/** The named databases of the shard's environment. */
export interface StoreDbs {
  applied: Database<number, number>;
  libs: Database<PartitionLibrary, LibKey>;
  allocations: Database<Allocation, LibKey>;
  ids: Database<number, IdKey>;
  vectorIds: Database<string, VecKey>;
  originals: Database<Uint8Array, VecKey>;
  metadata: Database<Metadata, VecKey>;
  free: Database<number, VecKey>;
  dirty: Database<number, VecKey>;
  quantizers: Database<Uint8Array, LibKey>;
  snapshotInfos: Database<SnapshotInfo, LibKey>;
  snapshotChunks: Database<Uint8Array, ChunkKey>;
  deadLetters: Database<StoredDeadLetter, [number, number]>;
  /** Parts of quantizers being received: [partition, library, trainingId, runId, part]. */
  quantizerParts: Database<Uint8Array, [number, string, string, string, number]>;
  /** Quantizers received whole, by training: [partition, library, trainingId]. */
  trainedQuantizers: Database<Uint8Array, [number, string, string]>;
}

/** Opens (creating when missing) the shard's environment and its named databases. */
export function openStoreDbs(
  path: string,
  mapSizeBytes: number,
): { env: RootDatabase; db: StoreDbs } {
  const env = open({ path, maxDbs: 24, mapSize: mapSizeBytes });
  const named = <V, K extends Key>(name: string, binary = false) =>
    env.openDB<V, K>({ name, ...(binary ? { encoding: "binary" as const } : {}) });
  return {
    env,
    db: {
      applied: named("applied"),
      libs: named("libraries"),
      allocations: named("allocations"),
      ids: named("ids"),
      vectorIds: named("vector-ids"),
      originals: named("originals", true),
      metadata: named("metadata"),
      free: named("free-ids"),
      dirty: named("dirty-ids"),
      quantizers: named("quantizers", true),
      snapshotInfos: named("snapshot-infos"),
      snapshotChunks: named("snapshot-chunks", true),
      deadLetters: named("dead-letters"),
      quantizerParts: named("quantizer-parts", true),
      trainedQuantizers: named("trained-quantizers", true),
    },
  };
}
