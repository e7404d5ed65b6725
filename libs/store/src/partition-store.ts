import type { Metadata } from "@quiver/events";
import type { Database, Key } from "lmdb";
import { StoreError, StoreErrorCode } from "./errors.js";
import { PartitionWriter } from "./partition-writer.js";
import type { DeadLetter, PartitionLibrary, SnapshotInfo, StoredVector } from "./records.js";
import { PartitionEnvs } from "./partition-envs.js";
import { APPLY_FLAGS, type LibKey, libEnd, type StoreDbs } from "./store-dbs.js";
import { join } from "node:path";
import { SnapshotFiles } from "./snapshot-files.js";
import { readSnapshotChunks, SnapshotWriter } from "./snapshots.js";

export interface PartitionStoreOptions {
  /** Directory of the shard's store: an LMDB environment per partition, and snapshot files. */
  path: string;
  /** Largest size each partition's environment may grow to (default 256 GiB of address space). */
  mapSizeBytes?: number;
}

/**
 * A shard's store, for every partition it holds (each in an LMDB environment of its own, see
 * PartitionEnvs; keys still start with the partition, one schema for both layouts): per
 * (partition, library) the float32
 * originals, metadata, the mapping of vector ids to the dense internal ids the engine uses,
 * quantizer parameters, index snapshots and the ids changed since the last snapshot; per
 * partition the applied log sequence and the dead letters. Each applied event is one
 * transaction that also advances the applied sequence, so a crash at any point leaves a state
 * and a sequence that belong together.
 */
export class PartitionStore {
  private closed = false;

  private constructor(
    private readonly envs: PartitionEnvs,
    private readonly files: SnapshotFiles,
  ) {}

  static open(options: PartitionStoreOptions): PartitionStore {
    const envs = new PartitionEnvs(options.path, options.mapSizeBytes ?? 2 ** 38);
    return new PartitionStore(envs, new SnapshotFiles(join(options.path, "snapshots")));
  }

  // ---- reads (synchronous, from the current committed state) ----

  appliedSeq(partition: number): number {
    return this.db(partition).applied.get(partition) ?? 0;
  }

  library(partition: number, libraryId: string): PartitionLibrary | undefined {
    return this.db(partition).libs.get([partition, libraryId]);
  }

  libraries(partition: number): PartitionLibrary[] {
    return [
      ...this.db(partition)
        .libs.getRange({ start: [partition], end: [partition + 1] })
        .map((e) => e.value),
    ];
  }

  count(partition: number, libraryId: string): number {
    return this.db(partition).allocations.get([partition, libraryId])?.count ?? 0;
  }

  /** One more than the largest internal id ever used: the engine index's capacity. */
  idBound(partition: number, libraryId: string): number {
    return this.db(partition).allocations.get([partition, libraryId])?.next ?? 0;
  }

  internalId(partition: number, libraryId: string, vectorId: string): number | undefined {
    return this.db(partition).ids.get([partition, libraryId, vectorId]);
  }

  vectorId(partition: number, libraryId: string, internalId: number): string | undefined {
    return this.db(partition).vectorIds.get([partition, libraryId, internalId]);
  }

  /** Copies the float32 original into out[offset..offset+dim); false when there is none. */
  readOriginal(
    partition: number,
    libraryId: string,
    internalId: number,
    out: Float32Array,
    offset: number,
  ): boolean {
    const bytes = this.fast(this.db(partition).originals, [partition, libraryId, internalId]);
    if (bytes === undefined) return false;
    // A byte copy: the buffer LMDB hands out is reused by the next read and may be unaligned.
    new Uint8Array(out.buffer, out.byteOffset + offset * 4, bytes.length).set(bytes);
    return true;
  }

  original(partition: number, libraryId: string, internalId: number): Float32Array | undefined {
    const bytes = this.fast(this.db(partition).originals, [partition, libraryId, internalId]);
    if (bytes === undefined) return undefined;
    const out = new Float32Array(bytes.length / 4);
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }

  metadata(partition: number, libraryId: string, internalId: number): Metadata | null {
    return this.db(partition).metadata.get([partition, libraryId, internalId]) ?? null;
  }

  /** Every stored float32 original of a library in a partition, row by row, by internal id. */
  originalRows(
    partition: number,
    libraryId: string,
    dim: number,
  ): { ids: Int32Array; values: Float32Array } {
    const count = this.count(partition, libraryId);
    const ids = new Int32Array(count);
    const values = new Float32Array(count * dim);
    const n = this.readOriginals(partition, libraryId, dim, 0, ids, values, 0, count);
    return { ids: ids.subarray(0, n), values: values.subarray(0, n * dim) };
  }

  /**
   * Up to `max` stored originals of a library with internal ids from `fromId` on, in id order,
   * written into `ids` and `values` from row `at`: one bounded read, so that a caller can read a
   * large library a chunk at a time. Answers the rows written (fewer than `max`: the last chunk).
   */
  readOriginals(
    partition: number,
    libraryId: string,
    dim: number,
    fromId: number,
    ids: Int32Array,
    values: Float32Array,
    at: number,
    max: number,
  ): number {
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    let n = 0;
    for (const { key, value } of this.db(partition).originals.getRange({
      start: [partition, libraryId, fromId],
      end: libEnd(partition, libraryId),
      limit: max,
    })) {
      ids[at + n] = key[2];
      bytes.set(value.subarray(0, dim * 4), (at + n) * dim * 4);
      n++;
    }
    return n;
  }

  /** Every stored vector of a library in a partition, by internal id. */
  *vectors(partition: number, libraryId: string): Iterable<StoredVector> {
    for (const { key, value } of this.db(partition).originals.getRange({
      start: [partition, libraryId, 0],
      end: libEnd(partition, libraryId),
    })) {
      const internalId = key[2];
      const vector = new Float32Array(value.length / 4);
      new Uint8Array(vector.buffer).set(value.subarray(0, value.length));
      yield {
        internalId,
        vectorId: this.db(partition).vectorIds.get([partition, libraryId, internalId]) ?? "",
        vector,
        metadata: this.metadata(partition, libraryId, internalId),
      };
    }
  }

  /** The quantizer of a training, once every part of it has arrived. */
  trainedQuantizer(
    partition: number,
    libraryId: string,
    trainingId: string,
  ): Uint8Array | undefined {
    const bytes = this.db(partition).trainedQuantizers.getBinary([
      partition,
      libraryId,
      trainingId,
    ]);
    return bytes === undefined ? undefined : new Uint8Array(bytes);
  }

  /**
   * Keeps a quantizer under a name of its own (e.g. the one a migration replaced, for its
   * rollback), outside any event: derived state, rewritten if lost.
   */
  keepQuantizer(partition: number, libraryId: string, name: string, bytes: Uint8Array): void {
    this.transaction(partition, (db) =>
      db.trainedQuantizers.putSync([partition, libraryId, name], bytes),
    );
  }

  quantizer(partition: number, libraryId: string): Uint8Array | undefined {
    const bytes = this.db(partition).quantizers.getBinary([partition, libraryId]);
    return bytes === undefined ? undefined : new Uint8Array(bytes);
  }

  snapshotInfo(partition: number, libraryId: string): SnapshotInfo | undefined {
    return this.db(partition).snapshotInfos.get([partition, libraryId]);
  }

  /** The latest index snapshot of a library in a partition, reassembled from its chunks. */
  readSnapshot(partition: number, libraryId: string): Uint8Array | undefined {
    const info = this.snapshotInfo(partition, libraryId);
    if (!info) return undefined;
    return info.file
      ? this.files.read(partition, libraryId, info.generation ?? 0, info.bytes, info.crc32 ?? 0)
      : readSnapshotChunks(this.db(partition), info, partition, libraryId);
  }

  /** Internal ids changed since the last snapshot (the index reconciles them on restart). */
  dirtyIds(partition: number, libraryId: string): number[] {
    return [
      ...this.db(partition)
        .dirty.getKeys({ start: [partition, libraryId, 0], end: libEnd(partition, libraryId) })
        .map((k) => k[2]),
    ];
  }

  /** Whether any id changed since the last snapshot (one key read, not the list). */
  hasDirtyIds(partition: number, libraryId: string): boolean {
    const first = this.db(partition).dirty.getKeys({
      start: [partition, libraryId, 0],
      end: libEnd(partition, libraryId),
      limit: 1,
    });
    return [...first].length > 0;
  }

  deadLetters(partition: number): DeadLetter[] {
    return [
      ...this.db(partition)
        .deadLetters.getRange({ start: [partition, 0], end: [partition + 1] })
        .map(({ key, value }) => ({
          partition,
          seq: key[1],
          ...value,
          data: new Uint8Array(value.data),
        })),
    ];
  }

  /**
   * A value's bytes without a copy, valid until the next read. lmdb-js's fast buffer is a view
   * of a shared 16 MiB buffer whose length, not byteLength, is the value's: trimmed here.
   */
  private fast<K extends Key>(db: Database<Uint8Array, K>, key: K): Uint8Array | undefined {
    const bytes = db.getBinaryFast(key);
    return bytes === undefined ? undefined : bytes.subarray(0, bytes.length);
  }

  // ---- writes ----

  /**
   * Applies one event, or a batch of events ending at `seq`: `write` runs inside one transaction
   * that also records `seq` as the partition's applied sequence (a batch shares the cost of the
   * commit's sync). Throws, and writes nothing, when seq is not above the applied sequence or
   * `write` throws.
   */
  apply<T>(partition: number, seq: number, write: (tx: PartitionWriter) => T): T {
    this.checkOpen();
    const writer = new PartitionWriter(this.db(partition), partition, seq);
    const result = this.transaction(partition, (db) => {
      const applied = this.appliedSeq(partition);
      if (seq <= applied) {
        throw new StoreError(
          StoreErrorCode.OutOfOrder,
          `partition ${partition}: event ${seq} is not after the applied sequence ${applied}`,
        );
      }
      const result = write(writer);
      db.applied.putSync(partition, seq);
      return result;
    });
    for (const { libraryId, generation } of writer.droppedSnapshots) {
      // the last snapshot, and the next one if a write of it was under way
      this.files.remove(partition, libraryId, generation);
      this.files.remove(partition, libraryId, generation + 1);
    }
    return result;
  }

  /**
   * Starts the next snapshot of a library: written into a file beside the latest one, which it
   * replaces at `commitSnapshot` (see SnapshotWriter).
   */
  snapshotWriter(partition: number, libraryId: string): SnapshotWriter {
    this.checkOpen();
    const latest = this.snapshotInfo(partition, libraryId);
    const generation = (latest?.generation ?? 0) + 1;
    const replaces = latest?.file ? latest.generation : undefined;
    return new SnapshotWriter(
      this.files,
      this.db(partition),
      partition,
      libraryId,
      generation,
      replaces,
    );
  }

  /**
   * Makes a written snapshot the library's latest, taken at the partition's applied sequence, and
   * forgets the ids changed before it. No event may be applied to the partition between the
   * snapshot's first chunk and this call.
   */
  commitSnapshot(writer: SnapshotWriter): SnapshotInfo {
    this.checkOpen(); // before the file's flush
    writer.seal();
    const info = this.transaction(writer.partition, () =>
      writer.commitIn(this.appliedSeq(writer.partition)),
    );
    writer.committed();
    return info;
  }

  /** Stores a snapshot in one go (small snapshots, tests): writeSnapshot = write + commit. */
  writeSnapshot(partition: number, libraryId: string, bytes: Uint8Array): SnapshotInfo {
    const writer = this.snapshotWriter(partition, libraryId);
    writer.write(bytes);
    return this.commitSnapshot(writer);
  }

  /**
   * Replaces a library's index in one transaction: its record (new quantization, migration
   * state), its quantizer parameters (removed when undefined) and a snapshot of the new index
   * (written beforehand with snapshotWriter) as of the partition's applied sequence.
   */
  switchIndex(
    partition: number,
    record: PartitionLibrary,
    quantizer: Uint8Array | undefined,
    snapshot: SnapshotWriter,
  ): SnapshotInfo {
    this.checkOpen(); // before the file's flush
    snapshot.seal();
    const info = this.transaction(partition, (db) => {
      const key: LibKey = [partition, record.libraryId];
      db.libs.putSync(key, record);
      if (quantizer) db.quantizers.putSync(key, quantizer);
      else db.quantizers.removeSync(key);
      return snapshot.commitIn(this.appliedSeq(partition));
    });
    snapshot.committed();
    return info;
  }

  /**
   * Removes the partition's snapshot files that no library's latest snapshot is (written and
   * never committed, or replaced, when a crash came in between); answers how many. Call from
   * the partition's only writer, before it writes a snapshot.
   */
  sweepSnapshotFiles(partition: number): number {
    const live = new Set<string>();
    for (const { key, value } of this.db(partition).snapshotInfos.getRange({
      start: [partition],
      end: [partition + 1],
    })) {
      if (value.file) live.add(this.files.name(key[1], value.generation ?? 0));
    }
    return this.files.sweep(partition, (name) => live.has(name));
  }

  /** Updates a library's record outside any event (a migration's local state). */
  updateLibrary(partition: number, record: PartitionLibrary): void {
    this.transaction(partition, (db) => db.libs.putSync([partition, record.libraryId], record));
  }

  /**
   * Makes the next reads see every transaction committed so far, by any thread (lmdb-js keeps a
   * thread's read snapshot until its next event turn).
   */
  refreshReads(): void {
    this.checkOpen();
    for (const { env } of this.envs.all()) env.resetReadTxn();
  }

  /** Resolves when every committed transaction is on disk. */
  async flushed(): Promise<boolean> {
    await Promise.all(this.envs.all().map(({ env }) => env.flushed));
    return true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const { env } of this.envs.all()) {
      await env.flushed;
      await env.close();
    }
  }

  /** One write transaction in the partition's environment (committed and flushed on return). */
  private transaction<T>(partition: number, body: (db: StoreDbs) => T): T {
    this.checkOpen();
    const { env, db } = this.envs.of(partition);
    return env.transactionSync(() => body(db), APPLY_FLAGS);
  }

  private db(partition: number): StoreDbs {
    return this.envs.of(partition).db;
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreError(StoreErrorCode.Closed, "the store is closed");
  }
}
