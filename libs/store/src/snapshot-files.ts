import {
  closeSync,
  fdatasyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";

const SUFFIX = ".snap";

/** A library id as a file name: itself when plain, else its bytes in hex (never a path). */
function fileSafe(libraryId: string): string {
  return /^[A-Za-z0-9_-]{1,200}$/.test(libraryId)
    ? libraryId
    : `~${Buffer.from(libraryId).toString("hex")}`;
}

/**
 * The index snapshots of a shard's libraries, one file per (partition, library, generation) in
 * `<store>/snapshots/<partition>/`. They live beside LMDB, not in it: a snapshot is rewritten
 * whole, and LMDB's free-page list, fed megabytes of freed overflow pages at every snapshot
 * round, grew until each commit spent its time merging it (a 3,000-library node stalled in
 * mdb_freelist_save). The store's transaction that commits a snapshot records its length and
 * CRC-32; a file that does not match them (torn by an OS crash) reads as no snapshot, and the
 * index is rebuilt from the stored vectors.
 */
export class SnapshotFiles {
  private readonly made = new Set<number>();

  constructor(private readonly root: string) {}

  path(partition: number, libraryId: string, generation: number): string {
    return join(this.dir(partition), this.name(libraryId, generation));
  }

  /** Opens (truncating) the file of a snapshot about to be written. */
  create(partition: number, libraryId: string, generation: number): number {
    if (!this.made.has(partition)) {
      mkdirSync(this.dir(partition), { recursive: true });
      this.made.add(partition);
    }
    return openSync(this.path(partition, libraryId, generation), "w");
  }

  /** Appends bytes; answers the running CRC-32 with them. */
  append(fd: number, bytes: Uint8Array, crc: number): number {
    for (let at = 0; at < bytes.byteLength;) at += writeSync(fd, bytes, at, bytes.byteLength - at);
    return crc32(bytes, crc);
  }

  /** On disk before the transaction that points at it commits. */
  finish(fd: number): void {
    fdatasyncSync(fd);
    closeSync(fd);
  }

  /** The snapshot's bytes, or undefined when missing or not the length and CRC recorded. */
  read(
    partition: number,
    libraryId: string,
    generation: number,
    bytes: number,
    crc: number,
  ): Uint8Array | undefined {
    let data: Buffer;
    try {
      data = readFileSync(this.path(partition, libraryId, generation));
    } catch {
      return undefined;
    }
    if (data.length !== bytes || crc32(data) !== crc) return undefined;
    return new Uint8Array(data.buffer, data.byteOffset, data.length);
  }

  /** Removes the file of one generation of a library's snapshot (if there is one). */
  remove(partition: number, libraryId: string, generation: number): void {
    rmSync(this.path(partition, libraryId, generation), { force: true });
  }

  /**
   * Removes every file of the partition that `live` does not claim (snapshots written and never
   * committed, or outlived by a later one, when a crash came between): call from the
   * partition's only writer, before it writes.
   */
  sweep(partition: number, live: (name: string) => boolean): number {
    let removed = 0;
    for (const name of this.names(partition)) {
      if (live(name)) continue;
      rmSync(join(this.dir(partition), name), { force: true });
      removed++;
    }
    return removed;
  }

  /** The file name of a library's snapshot generation (what `sweep`'s `live` is asked about). */
  name(libraryId: string, generation: number): string {
    return `${fileSafe(libraryId)}.${generation}${SUFFIX}`;
  }

  private names(partition: number): string[] {
    try {
      return readdirSync(this.dir(partition));
    } catch {
      return [];
    }
  }

  private dir(partition: number): string {
    return join(this.root, String(partition));
  }
}
