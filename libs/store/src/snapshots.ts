import { closeSync } from "node:fs";
import type { SnapshotInfo } from "./records.js";
import type { SnapshotFiles } from "./snapshot-files.js";
import { type ChunkKey, libEnd, type StoreDbs } from "./store-dbs.js";

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
 * Writes a library's next index snapshot into a file of its own (SnapshotFiles), beside the
 * snapshot it replaces, which stays the latest until `commitIn`: then the store's transaction
 * records the new one (at the partition's applied sequence, with its length and CRC-32), forgets
 * the ids changed since the old one and removes what an older store kept in LMDB chunks; once
 * that transaction committed, `committed` removes the replaced file. The writer of a partition
 * commits with the partition quiet (no event applied since the first byte), so the applied
 * sequence is the one the snapshot's bytes were taken at. A write that never committed (a crash,
 * or `abandon`) leaves a file the next writer of the library truncates, or the partition's next
 * restore sweeps.
 */
export class SnapshotWriter {
  private bytes = 0;
  private crc = 0;
  private readonly fd: number;
  private state: "writing" | "sealed" | "committed" | "abandoned" = "writing";

  constructor(
    private readonly files: SnapshotFiles,
    private readonly db: StoreDbs,
    readonly partition: number,
    readonly libraryId: string,
    readonly generation: number,
    /** The generation of the file this one replaces (none: no snapshot, or one in chunks). */
    private readonly replaces: number | undefined,
  ) {
    this.fd = files.create(partition, libraryId, generation);
  }

  /** Appends bytes to the snapshot. */
  write(bytes: Uint8Array): void {
    if (this.state !== "writing") throw new Error(`this snapshot was already ${this.state}`);
    this.crc = this.files.append(this.fd, bytes, this.crc);
    this.bytes += bytes.byteLength;
  }

  /**
   * Puts the written bytes on disk and closes the file: before the transaction that points at
   * them (commitIn does it if the caller did not, but outside the transaction the flush does not
   * hold the environment's write lock).
   */
  seal(): void {
    if (this.state !== "writing") return;
    this.state = "sealed";
    this.files.finish(this.fd);
  }

  /** Makes the written snapshot the library's latest (call inside a store transaction). */
  commitIn(seq: number): SnapshotInfo {
    if (this.state === "committed" || this.state === "abandoned")
      throw new Error(`this snapshot was already ${this.state}`);
    this.seal();
    this.state = "committed";
    const key: [number, string] = [this.partition, this.libraryId];
    const info: SnapshotInfo = {
      seq,
      bytes: this.bytes,
      chunks: 0,
      atMs: Date.now(),
      generation: this.generation,
      file: true,
      crc32: this.crc,
    };
    this.db.snapshotInfos.putSync(key, info);
    this.removeChunks();
    for (const dirty of this.db.dirty.getKeys({
      start: [this.partition, this.libraryId, 0],
      end: libEnd(this.partition, this.libraryId),
    })) {
      this.db.dirty.removeSync(dirty);
    }
    return info;
  }

  /** After commitIn's transaction committed: the replaced snapshot's file goes. */
  committed(): void {
    if (this.replaces !== undefined)
      this.files.remove(this.partition, this.libraryId, this.replaces);
  }

  /** Gives up an uncommitted write (its file goes; the latest snapshot stays). */
  abandon(): void {
    if (this.state === "committed" || this.state === "abandoned") return;
    if (this.state === "writing") closeSync(this.fd);
    this.state = "abandoned";
    this.files.remove(this.partition, this.libraryId, this.generation);
  }

  /** Removes the chunks an older store kept the library's snapshots in, of every generation. */
  private removeChunks(): void {
    const p = this.partition;
    const lib = this.libraryId;
    for (const key of this.db.snapshotChunks.getKeys({ start: [p, lib], end: libEnd(p, lib) }))
      this.db.snapshotChunks.removeSync(key);
  }
}

/**
 * A snapshot an older store kept in LMDB, reassembled from its chunks (undefined: torn). Read
 * until the library's next snapshot, which goes to a file and removes the chunks.
 */
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
