import type { Metadata } from "@quiver/events";
import type { Database, Key } from "lmdb";
import type { DeadLetter, PartitionLibrary } from "./records.js";
import { libEnd, type StoreDbs, type VecKey } from "./store-dbs.js";

/** The writes of one applied event, valid inside PartitionStore.apply's transaction only. */
export class PartitionWriter {
  /** Snapshot files of the libraries deleted, to remove once the transaction committed. */
  readonly droppedSnapshots: { libraryId: string; generation: number }[] = [];

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
    const generation = s.snapshotInfos.get([p, libraryId])?.generation ?? 0;
    this.droppedSnapshots.push({ libraryId, generation });
    s.snapshotInfos.removeSync([p, libraryId]);
    const end = libEnd(p, libraryId);
    const dbs = [
      s.ids,
      s.vectorIds,
      s.originals,
      s.metadata,
      s.free,
      s.dirty,
      s.snapshotChunks,
      s.quantizerParts,
      s.trainedQuantizers,
    ];
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

  /**
   * Stores one part of a trained quantizer. When it completes its run (every part of the run is
   * in) and the training has none yet, the parts are joined, kept as the training's quantizer
   * and returned; otherwise undefined (more parts to come, or another run completed first).
   */
  putQuantizerPart(
    libraryId: string,
    trainingId: string,
    runId: string,
    part: number,
    parts: number,
    bytes: Uint8Array,
  ): Uint8Array | undefined {
    const p = this.partition;
    const s = this.db;
    if (s.trainedQuantizers.getBinary([p, libraryId, trainingId]) !== undefined) return undefined;
    s.quantizerParts.putSync([p, libraryId, trainingId, runId, part], bytes);
    const run: Uint8Array[] = [];
    for (const { key, value } of s.quantizerParts.getRange({
      start: [p, libraryId, trainingId, runId],
      end: [p, libraryId, trainingId, `${runId}\u0000`],
    })) {
      run[key[4]] = new Uint8Array(value);
    }
    for (let i = 0; i < parts; i++) if (run[i] === undefined) return undefined;
    const whole = new Uint8Array(run.reduce((n, b) => n + b.byteLength, 0));
    let at = 0;
    for (let i = 0; i < parts; i++) {
      whole.set(run[i], at);
      at += run[i].byteLength;
    }
    s.trainedQuantizers.putSync([p, libraryId, trainingId], whole);
    for (const key of [
      ...s.quantizerParts.getKeys({
        start: [p, libraryId, trainingId],
        end: [p, libraryId, `${trainingId}\u0000`],
      }),
    ]) {
      s.quantizerParts.removeSync(key);
    }
    return whole;
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
