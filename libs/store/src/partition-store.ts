import type { Metadata } from "@quiver/events";
import { type Database, type Key, open, type RootDatabase, TransactionFlags } from "lmdb";
import { StoreError, StoreErrorCode } from "./errors.js";
import type { DeadLetter, PartitionLibrary, SnapshotInfo, StoredVector } from "./records.js";

type LibKey = [number, string];
type VecKey = [number, string, number];
type IdKey = [number, string, string];
type ChunkKey = [number, string, number];

interface Allocation {
  /** Next never-used internal id. */
  next: number;
  /** Live vectors. */
  count: number;
}

interface StoredDeadLetter {
  msgId: string;
  code: string;
  reason: string;
  data: Uint8Array;
  atMs: number;
}

export interface PartitionStoreOptions {
  /** Directory of the shard's LMDB environment. */
  path: string;
  /** Largest size the environment may grow to (default 1 TiB of address space). */
  mapSizeBytes?: number;
}

const SNAPSHOT_CHUNK_BYTES = 16 * 1024 * 1024;
// Committed before returning, flushed to disk in the background: the log is the source of truth,
// and a state that loses its last transactions in an OS crash loses its applied seq with them.
const APPLY_FLAGS =
  TransactionFlags.ABORTABLE | TransactionFlags.SYNCHRONOUS_COMMIT | TransactionFlags.NO_SYNC_FLUSH;

/** The last key of a [partition, libraryId, ...] prefix (library ids contain no NUL). */
function libEnd(partition: number, libraryId: string): [number, string] {
  return [partition, `${libraryId}\u0000`];
}

/**
 * A shard's LMDB store, for every partition it holds: per (partition, library) the float32
 * originals, metadata, the mapping of vector ids to the dense internal ids the engine uses,
 * quantizer parameters, index snapshots and the ids changed since the last snapshot; per
 * partition the applied log sequence and the dead letters. Each applied event is one
 * transaction that also advances the applied sequence, so a crash at any point leaves a state
 * and a sequence that belong together.
 */
/** The named databases of the shard's environment. */
interface StoreDbs {
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
}

export class PartitionStore {
  private closed = false;

  private constructor(
    private readonly env: RootDatabase,
    private readonly db: StoreDbs,
  ) {}

  static open(options: PartitionStoreOptions): PartitionStore {
    const env = open({ path: options.path, maxDbs: 16, mapSize: options.mapSizeBytes ?? 2 ** 40 });
    const named = <V, K extends Key>(name: string, binary = false) =>
      env.openDB<V, K>({ name, ...(binary ? { encoding: "binary" as const } : {}) });
    return new PartitionStore(env, {
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
    });
  }

  // ---- reads (synchronous, from the current committed state) ----

  appliedSeq(partition: number): number {
    return this.db.applied.get(partition) ?? 0;
  }

  library(partition: number, libraryId: string): PartitionLibrary | undefined {
    return this.db.libs.get([partition, libraryId]);
  }

  libraries(partition: number): PartitionLibrary[] {
    return [
      ...this.db.libs.getRange({ start: [partition], end: [partition + 1] }).map((e) => e.value),
    ];
  }

  count(partition: number, libraryId: string): number {
    return this.db.allocations.get([partition, libraryId])?.count ?? 0;
  }

  /** One more than the largest internal id ever used: the engine index's capacity. */
  idBound(partition: number, libraryId: string): number {
    return this.db.allocations.get([partition, libraryId])?.next ?? 0;
  }

  internalId(partition: number, libraryId: string, vectorId: string): number | undefined {
    return this.db.ids.get([partition, libraryId, vectorId]);
  }

  vectorId(partition: number, libraryId: string, internalId: number): string | undefined {
    return this.db.vectorIds.get([partition, libraryId, internalId]);
  }

  /** Copies the float32 original into out[offset..offset+dim); false when there is none. */
  readOriginal(
    partition: number,
    libraryId: string,
    internalId: number,
    out: Float32Array,
    offset: number,
  ): boolean {
    const bytes = this.fast(this.db.originals, [partition, libraryId, internalId]);
    if (bytes === undefined) return false;
    // A byte copy: the buffer LMDB hands out is reused by the next read and may be unaligned.
    new Uint8Array(out.buffer, out.byteOffset + offset * 4, bytes.length).set(bytes);
    return true;
  }

  original(partition: number, libraryId: string, internalId: number): Float32Array | undefined {
    const bytes = this.fast(this.db.originals, [partition, libraryId, internalId]);
    if (bytes === undefined) return undefined;
    const out = new Float32Array(bytes.length / 4);
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }

  metadata(partition: number, libraryId: string, internalId: number): Metadata | null {
    return this.db.metadata.get([partition, libraryId, internalId]) ?? null;
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
    const bytes = new Uint8Array(values.buffer);
    let n = 0;
    for (const { key, value } of this.db.originals.getRange({
      start: [partition, libraryId, 0],
      end: libEnd(partition, libraryId),
    })) {
      if (n === count) break;
      ids[n] = key[2];
      bytes.set(value.subarray(0, dim * 4), n * dim * 4);
      n++;
    }
    return { ids: ids.subarray(0, n), values: values.subarray(0, n * dim) };
  }

  /** Every stored vector of a library in a partition, by internal id. */
  *vectors(partition: number, libraryId: string): Iterable<StoredVector> {
    for (const { key, value } of this.db.originals.getRange({
      start: [partition, libraryId, 0],
      end: libEnd(partition, libraryId),
    })) {
      const internalId = key[2];
      const vector = new Float32Array(value.length / 4);
      new Uint8Array(vector.buffer).set(value.subarray(0, value.length));
      yield {
        internalId,
        vectorId: this.db.vectorIds.get([partition, libraryId, internalId]) ?? "",
        vector,
        metadata: this.metadata(partition, libraryId, internalId),
      };
    }
  }

  quantizer(partition: number, libraryId: string): Uint8Array | undefined {
    const bytes = this.db.quantizers.getBinary([partition, libraryId]);
    return bytes === undefined ? undefined : new Uint8Array(bytes);
  }

  snapshotInfo(partition: number, libraryId: string): SnapshotInfo | undefined {
    return this.db.snapshotInfos.get([partition, libraryId]);
  }

  /** The latest index snapshot of a library in a partition, reassembled from its chunks. */
  readSnapshot(partition: number, libraryId: string): Uint8Array | undefined {
    const info = this.snapshotInfo(partition, libraryId);
    if (!info) return undefined;
    const out = new Uint8Array(info.bytes);
    let at = 0;
    for (let c = 0; c < info.chunks; c++) {
      const chunk = this.fast(this.db.snapshotChunks, [partition, libraryId, c]);
      if (chunk === undefined || at + chunk.length > info.bytes) return undefined;
      out.set(chunk, at);
      at += chunk.length;
    }
    return at === info.bytes ? out : undefined;
  }

  /** Internal ids changed since the last snapshot (the index reconciles them on restart). */
  dirtyIds(partition: number, libraryId: string): number[] {
    return [
      ...this.db.dirty
        .getKeys({ start: [partition, libraryId, 0], end: libEnd(partition, libraryId) })
        .map((k) => k[2]),
    ];
  }

  deadLetters(partition: number): DeadLetter[] {
    return [
      ...this.db.deadLetters
        .getRange({ start: [partition, 0], end: [partition + 1] })
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
    return this.env.transactionSync(() => {
      const applied = this.appliedSeq(partition);
      if (seq <= applied) {
        throw new StoreError(
          StoreErrorCode.OutOfOrder,
          `partition ${partition}: event ${seq} is not after the applied sequence ${applied}`,
        );
      }
      const result = write(new PartitionWriter(this.db, partition, seq));
      this.db.applied.putSync(partition, seq);
      return result;
    }, APPLY_FLAGS);
  }

  /**
   * Stores an index snapshot taken at the partition's applied sequence and forgets the dirty ids
   * it covers, in one transaction.
   */
  writeSnapshot(partition: number, libraryId: string, bytes: Uint8Array): SnapshotInfo {
    this.checkOpen();
    return this.env.transactionSync(
      () => this.putSnapshot(partition, libraryId, bytes),
      APPLY_FLAGS,
    );
  }

  /**
   * Replaces a library's index in one transaction: its record (new quantization, migration
   * state), its quantizer parameters (removed when undefined) and a snapshot of the new index
   * as of the partition's applied sequence.
   */
  switchIndex(
    partition: number,
    record: PartitionLibrary,
    quantizer: Uint8Array | undefined,
    snapshot: Uint8Array,
  ): SnapshotInfo {
    this.checkOpen();
    return this.env.transactionSync(() => {
      const key: LibKey = [partition, record.libraryId];
      this.db.libs.putSync(key, record);
      if (quantizer) this.db.quantizers.putSync(key, quantizer);
      else this.db.quantizers.removeSync(key);
      return this.putSnapshot(partition, record.libraryId, snapshot);
    }, APPLY_FLAGS);
  }

  /** Updates a library's record outside any event (a migration's local state). */
  updateLibrary(partition: number, record: PartitionLibrary): void {
    this.checkOpen();
    this.env.transactionSync(
      () => this.db.libs.putSync([partition, record.libraryId], record),
      APPLY_FLAGS,
    );
  }

  private putSnapshot(partition: number, libraryId: string, bytes: Uint8Array): SnapshotInfo {
    const old = this.snapshotInfo(partition, libraryId);
    const chunks = Math.max(1, Math.ceil(bytes.byteLength / SNAPSHOT_CHUNK_BYTES));
    for (let c = 0; c < chunks; c++) {
      this.db.snapshotChunks.putSync(
        [partition, libraryId, c],
        bytes.subarray(c * SNAPSHOT_CHUNK_BYTES, (c + 1) * SNAPSHOT_CHUNK_BYTES),
      );
    }
    for (let c = chunks; c < (old?.chunks ?? 0); c++)
      this.db.snapshotChunks.removeSync([partition, libraryId, c]);
    const info: SnapshotInfo = {
      seq: this.appliedSeq(partition),
      bytes: bytes.byteLength,
      chunks,
      atMs: Date.now(),
    };
    this.db.snapshotInfos.putSync([partition, libraryId], info);
    for (const key of this.db.dirty.getKeys({
      start: [partition, libraryId, 0],
      end: libEnd(partition, libraryId),
    })) {
      this.db.dirty.removeSync(key);
    }
    return info;
  }

  /**
   * Stores a library's trained quantizer parameters. Not tied to an event: training is derived
   * from the stored vectors, and a crash before this write only means training again.
   */
  saveQuantizer(partition: number, libraryId: string, parameters: Uint8Array): void {
    this.checkOpen();
    this.env.transactionSync(
      () => this.db.quantizers.putSync([partition, libraryId], parameters),
      APPLY_FLAGS,
    );
  }

  /** Resolves when every committed transaction is on disk. */
  flushed(): Promise<boolean> {
    return this.env.flushed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.env.flushed;
    await this.env.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreError(StoreErrorCode.Closed, "the store is closed");
  }
}

/** The writes of one applied event, valid inside PartitionStore.apply's transaction only. */
export class PartitionWriter {
  constructor(
    private readonly db: StoreDbs,
    readonly partition: number,
    readonly seq: number,
  ) {}

  putLibrary(record: PartitionLibrary): void {
    this.db.libs.putSync([this.partition, record.libraryId], record);
  }

  /** Removes a library and everything stored for it in this partition. */
  deleteLibrary(libraryId: string): void {
    const p = this.partition;
    const s = this.db;
    s.libs.removeSync([p, libraryId]);
    s.allocations.removeSync([p, libraryId]);
    s.quantizers.removeSync([p, libraryId]);
    s.snapshotInfos.removeSync([p, libraryId]);
    const end = libEnd(p, libraryId);
    const dbs = [s.ids, s.vectorIds, s.originals, s.metadata, s.free, s.dirty, s.snapshotChunks];
    for (const db of dbs) {
      const keys = [...(db as Database<unknown, Key>).getKeys({ start: [p, libraryId], end })];
      for (const key of keys) (db as Database<unknown, Key>).removeSync(key);
    }
  }

  /** Stores a vector under its id (reusing the internal id of an existing one). */
  upsertVector(
    libraryId: string,
    vectorId: string,
    vector: Float32Array,
    metadata: Metadata | null,
  ): { internalId: number; created: boolean } {
    const p = this.partition;
    const s = this.db;
    let internalId = s.ids.get([p, libraryId, vectorId]);
    const created = internalId === undefined;
    if (internalId === undefined) {
      internalId = this.allocate(libraryId);
      s.ids.putSync([p, libraryId, vectorId], internalId);
      s.vectorIds.putSync([p, libraryId, internalId], vectorId);
    }
    const key: VecKey = [p, libraryId, internalId];
    s.originals.putSync(key, new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength));
    if (metadata === null) s.metadata.removeSync(key);
    else s.metadata.putSync(key, metadata);
    s.dirty.putSync(key, 1);
    return { internalId, created };
  }

  /** Removes a vector; returns its (now free) internal id, or undefined when it did not exist. */
  deleteVector(libraryId: string, vectorId: string): number | undefined {
    const p = this.partition;
    const s = this.db;
    const internalId = s.ids.get([p, libraryId, vectorId]);
    if (internalId === undefined) return undefined;
    const key: VecKey = [p, libraryId, internalId];
    s.ids.removeSync([p, libraryId, vectorId]);
    s.vectorIds.removeSync(key);
    s.originals.removeSync(key);
    s.metadata.removeSync(key);
    s.free.putSync(key, 1);
    s.dirty.putSync(key, 1);
    const allocation = s.allocations.get([p, libraryId]) ?? { next: 0, count: 0 };
    s.allocations.putSync([p, libraryId], { ...allocation, count: allocation.count - 1 });
    return internalId;
  }

  putQuantizer(libraryId: string, parameters: Uint8Array): void {
    this.db.quantizers.putSync([this.partition, libraryId], parameters);
  }

  /** Records the event at `seq` (this transaction's or an earlier one of its batch) as a dead letter. */
  deadLetter(letter: Omit<DeadLetter, "partition" | "atMs">): void {
    const { seq, msgId, code, reason, data } = letter;
    this.db.deadLetters.putSync([this.partition, seq], {
      msgId,
      code,
      reason,
      data,
      atMs: Date.now(),
    });
  }

  /** The smallest freed internal id, or a new one: ids stay dense for the engine's arrays. */
  private allocate(libraryId: string): number {
    const p = this.partition;
    const s = this.db;
    const allocation = s.allocations.get([p, libraryId]) ?? { next: 0, count: 0 };
    let internalId = allocation.next;
    for (const key of s.free.getKeys({
      start: [p, libraryId, 0],
      end: libEnd(p, libraryId),
      limit: 1,
    })) {
      internalId = key[2];
      s.free.removeSync(key);
    }
    s.allocations.putSync([p, libraryId], {
      next: internalId === allocation.next ? allocation.next + 1 : allocation.next,
      count: allocation.count + 1,
    });
    return internalId;
  }
}
