import type { RootDatabase } from "lmdb";
import type { SnapshotInfo } from "./records.js";
import {
  APPLY_FLAGS,
  type ChunkKey,
  libEnd,
  SNAPSHOT_CHUNK_BYTES,
  type StoreDbs,
} from "./store-dbs.js";

/** The key of chunk `c` of a snapshot (generation-less snapshots predate generations). */
export function chunkKey(
  partition: number,
  libraryId: string,
  generation: number | undefined,
  c: number,
): ChunkKey {
  return generation === undefined
    ? [partition, libraryId, c]
    : [partition, libraryId, generation, c];
}

/**
 * Writes a library's next index snapshot chunk by chunk, each chunk in a transaction of its own,
 * beside the snapshot it replaces, which stays the latest until `commit`: then one transaction
 * records the new one (at the partition's applied sequence), forgets the ids changed since the
 * old one and removes the old one's chunks. The writer of a partition calls commit with the
 * partition quiet (no event applied since the first chunk), so the applied sequence is the one
 * the snapshot's bytes were taken at. Chunks of a write that never committed (a crash) are
 * removed by the next writer of the library.
 */
export class SnapshotWriter {
  private chunks = 0;
  private bytes = 0;
  private done = false;

  constructor(
    private readonly env: RootDatabase,
    private readonly db: StoreDbs,
    readonly partition: number,
    readonly libraryId: string,
    readonly generation: number,
  ) {
    // what an earlier writer left uncommitted
    this.inTransaction(() => this.removeChunks((g) => g === generation));
  }

  /** Appends bytes to the snapshot (split into chunks of at most 16 MiB). */
  write(bytes: Uint8Array): void {
    for (let at = 0; at < bytes.byteLength; at += SNAPSHOT_CHUNK_BYTES) {
      const chunk = bytes.subarray(at, at + SNAPSHOT_CHUNK_BYTES);
      this.inTransaction(() =>
        this.db.snapshotChunks.putSync(
          chunkKey(this.partition, this.libraryId, this.generation, this.chunks),
          chunk,
        ),
      );
      this.chunks++;
      this.bytes += chunk.byteLength;
    }
  }

  /** Makes the written snapshot the library's latest (call inside a store transaction). */
  commitIn(seq: number): SnapshotInfo {
    if (this.done) throw new Error("this snapshot was already committed");
    this.done = true;
    const key: [number, string] = [this.partition, this.libraryId];
    const info: SnapshotInfo = {
      seq,
      bytes: this.bytes,
      chunks: this.chunks,
      atMs: Date.now(),
      generation: this.generation,
    };
    this.db.snapshotInfos.putSync(key, info);
    this.removeChunks((g) => g !== this.generation);
    for (const dirty of this.db.dirty.getKeys({
      start: [this.partition, this.libraryId, 0],
      end: libEnd(this.partition, this.libraryId),
    })) {
      this.db.dirty.removeSync(dirty);
    }
    return info;
  }

  /** Removes the chunks of every generation `drop` says (the legacy ones count as undefined). */
  private removeChunks(drop: (generation: number | undefined) => boolean): void {
    const p = this.partition;
    const lib = this.libraryId;
    for (const key of this.db.snapshotChunks.getKeys({ start: [p, lib], end: libEnd(p, lib) })) {
      const k = key as unknown as (number | string)[];
      const generation = k.length === 4 ? (k[2] as number) : undefined;
      if (drop(generation)) this.db.snapshotChunks.removeSync(key);
    }
  }

  private inTransaction(write: () => void): void {
    this.env.transactionSync(write, APPLY_FLAGS);
  }
}

/** The latest snapshot of a library, reassembled from its chunks (undefined: none, or torn). */
export function readSnapshotChunks(
  db: StoreDbs,
  info: SnapshotInfo,
  partition: number,
  libraryId: string,
): Uint8Array | undefined {
  const out = new Uint8Array(info.bytes);
  let at = 0;
  for (let c = 0; c < info.chunks; c++) {
    const bytes = db.snapshotChunks.getBinaryFast(
      chunkKey(partition, libraryId, info.generation, c),
    );
    // the fast buffer's length, not its byteLength, is the value's
    const chunk = bytes?.subarray(0, bytes.length);
    if (chunk === undefined || at + chunk.length > info.bytes) return undefined;
    out.set(chunk, at);
    at += chunk.length;
  }
  return at === info.bytes ? out : undefined;
}
