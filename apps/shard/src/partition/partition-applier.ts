import {
  decodeEvent,
  isEventDecodeError,
  type QuiverEvent,
  type VectorsUpserted,
} from "@quiver/events";
import type { EventLog, LogEntry, LogSubscription } from "@quiver/log";
import type { LibraryRecord, PartitionStore } from "@quiver/store";
import { type Logger, type ShardMetrics, silentLogger } from "@quiver/telemetry";
import { LibraryIndex } from "./library-index.js";

export interface ApplierOptions {
  partition: number;
  store: PartitionStore;
  log: EventLog;
  metrics?: ShardMetrics;
  logger?: Logger;
  /** Snapshot the indexes after this many applied events... */
  snapshotEveryEvents?: number;
  /** ...or after this much time with at least one applied event. */
  snapshotEveryMs?: number;
}

export type ApplierStatus =
  | { state: "idle" | "running" | "stopped"; appliedSeq: number }
  | { state: "halted"; appliedSeq: number; failedSeq: number; error: string };

/** An event that is well-formed but cannot apply to this partition's state: dead-lettered. */
class Rejection extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Thrown by apply() once a partition has halted. */
export class PartitionHaltedError extends Error {
  override readonly name = "PartitionHaltedError";
}

/**
 * Turns one partition's events into LMDB state and engine indexes, exactly once: an event at or
 * below the store's applied sequence is skipped; every other one is applied in one store
 * transaction that records its sequence, then to the indexes. A crash between the two is
 * repaired on restore (snapshot + the ids changed since). An event that cannot be decoded or
 * does not fit the partition's state is recorded as a dead letter (store, log line, metric) and
 * passed; any other failure halts the partition: it never skips an event.
 */
export class PartitionApplier {
  readonly partition: number;
  private readonly store: PartitionStore;
  private readonly log: EventLog;
  private readonly metrics: ShardMetrics | undefined;
  private readonly logger: Logger;
  private readonly snapshotEveryEvents: number;
  private readonly snapshotEveryMs: number;
  private readonly indexes = new Map<string, LibraryIndex>();
  private eventsSinceSnapshot = 0;
  private lastSnapshotMs = Date.now();
  private state: "idle" | "running" | "stopped" = "idle";
  private failure: { seq: number; error: string } | undefined;
  private subscription: LogSubscription | undefined;

  constructor(options: ApplierOptions) {
    this.partition = options.partition;
    this.store = options.store;
    this.log = options.log;
    this.metrics = options.metrics;
    this.logger = (options.logger ?? silentLogger()).child({ partition: options.partition });
    this.snapshotEveryEvents = options.snapshotEveryEvents ?? 50_000;
    this.snapshotEveryMs = options.snapshotEveryMs ?? 60_000;
  }

  get appliedSeq(): number {
    return this.store.appliedSeq(this.partition);
  }

  status(): ApplierStatus {
    if (this.failure)
      return {
        state: "halted",
        appliedSeq: this.appliedSeq,
        failedSeq: this.failure.seq,
        error: this.failure.error,
      };
    return { state: this.state, appliedSeq: this.appliedSeq };
  }

  index(libraryId: string): LibraryIndex | undefined {
    return this.indexes.get(libraryId);
  }

  libraries(): string[] {
    return [...this.indexes.keys()];
  }

  /** Loads every library's index as of the store's state (call once, before applying). */
  restore(): void {
    for (const record of this.store.libraries(this.partition)) {
      const index = LibraryIndex.restore(record, this.store, this.partition);
      this.indexes.set(record.libraryId, index);
      this.trainIfReady(index);
    }
    this.logger.info(
      { appliedSeq: this.appliedSeq, libraries: this.indexes.size },
      "partition restored",
    );
  }

  /** Applies one entry of this partition's log; skips entries already applied. */
  apply(entry: LogEntry): void {
    if (this.failure)
      throw new PartitionHaltedError(
        `partition ${this.partition} halted at ${this.failure.seq}: ${this.failure.error}`,
      );
    if (entry.seq <= this.appliedSeq) return;
    let event: QuiverEvent;
    try {
      event = decodeEvent(entry.data);
    } catch (error) {
      if (!isEventDecodeError(error)) throw error;
      this.deadLetter(entry, error.code, error.message);
      return;
    }
    try {
      this.applyEvent(entry.seq, event);
    } catch (error) {
      if (error instanceof Rejection) {
        this.deadLetter(entry, error.code, error.message);
        return;
      }
      this.failure = { seq: entry.seq, error: (error as Error).message };
      this.logger.error(
        { seq: entry.seq, err: error },
        "partition halted: an event could not be applied",
      );
      throw error;
    }
    this.metrics?.eventsApplied.inc({ partition: this.partition, type: event.type });
    this.metrics?.appliedSeq.set({ partition: this.partition }, entry.seq);
    this.eventsSinceSnapshot++;
    if (
      this.eventsSinceSnapshot >= this.snapshotEveryEvents ||
      Date.now() - this.lastSnapshotMs >= this.snapshotEveryMs
    ) {
      this.snapshot();
    }
  }

  /** Applies everything the log holds for this partition beyond the applied sequence. */
  async catchUp(): Promise<number> {
    const last = await this.log.lastSeq(this.partition);
    let next = this.appliedSeq + 1;
    while (next <= last) {
      const batch = await this.log.read(this.partition, next, 1000);
      if (batch.length === 0) break;
      for (const entry of batch) this.apply(entry);
      next = batch[batch.length - 1].seq + 1;
    }
    return this.appliedSeq;
  }

  /** Applies the log as it grows, until stop() or a halt. */
  async run(): Promise<void> {
    this.state = "running";
    this.subscription = this.log.subscribe(this.partition, this.appliedSeq + 1);
    try {
      for await (const entry of this.subscription) this.apply(entry);
    } catch (error) {
      if (!this.failure) throw error;
    } finally {
      this.state = this.failure ? this.state : "stopped";
    }
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
    this.state = "stopped";
  }

  /** Writes a snapshot of every library index changed since its last one. */
  snapshot(): void {
    const started = performance.now();
    for (const [libraryId, index] of this.indexes) {
      if (
        this.store.dirtyIds(this.partition, libraryId).length === 0 &&
        this.store.snapshotInfo(this.partition, libraryId)
      ) {
        continue;
      }
      this.store.writeSnapshot(this.partition, libraryId, index.serialize());
    }
    this.eventsSinceSnapshot = 0;
    this.lastSnapshotMs = Date.now();
    this.metrics?.snapshotSeconds.observe(
      { partition: this.partition },
      (performance.now() - started) / 1000,
    );
  }

  private applyEvent(seq: number, event: QuiverEvent): void {
    const p = this.partition;
    switch (event.type) {
      case "library.created": {
        const { type: _type, ...record } = event;
        const existing = this.store.library(p, event.libraryId);
        if (existing && !sameLibrary(existing, record)) {
          throw new Rejection(
            "LIBRARY_EXISTS",
            `library ${event.libraryId} exists with another configuration`,
          );
        }
        this.store.apply(p, seq, (tx) => tx.putLibrary(record));
        if (!this.indexes.has(event.libraryId)) {
          this.indexes.set(event.libraryId, LibraryIndex.create(record, this.store, p));
        }
        return;
      }
      case "library.config_changed": {
        const record = this.libraryOf(event.libraryId);
        // The new config is recorded; indexes change through migrations (brief §2).
        this.store.apply(p, seq, (tx) =>
          tx.putLibrary({ ...record, quantization: event.quantization }),
        );
        return;
      }
      case "library.deleted":
        this.store.apply(p, seq, (tx) => tx.deleteLibrary(event.libraryId));
        this.indexes.delete(event.libraryId);
        return;
      case "vectors.upserted":
        this.applyUpsert(seq, event);
        return;
      case "vectors.deleted": {
        this.libraryOf(event.libraryId);
        const index = this.indexes.get(event.libraryId);
        const freed = this.store.apply(p, seq, (tx) =>
          event.ids.map((id) => tx.deleteVector(event.libraryId, id)),
        );
        for (const id of freed) if (id !== undefined) index?.delete(id);
        this.metrics?.vectorsApplied.inc({ partition: p, operation: "delete" }, event.ids.length);
        return;
      }
      default:
        // Migration and policy events are the coordinators' record; a partition only passes them.
        this.store.apply(p, seq, () => undefined);
    }
  }

  private applyUpsert(seq: number, event: VectorsUpserted): void {
    const record = this.libraryOf(event.libraryId);
    const dim = record.dimension;
    if (event.dimension !== dim) {
      throw new Rejection(
        "DIMENSION_MISMATCH",
        `vectors of dimension ${event.dimension} for library ${event.libraryId} of dimension ${dim}`,
      );
    }
    const values = event.vectors;
    for (let i = 0; i < values.length; i++) {
      if (values[i] - values[i] !== 0) {
        throw new Rejection(
          "INVALID_VECTOR",
          `vector ${event.ids[Math.floor(i / dim)]} has a non-finite component`,
        );
      }
    }
    const row = (i: number) => values.subarray(i * dim, (i + 1) * dim);
    const internalIds = this.store.apply(this.partition, seq, (tx) =>
      event.ids.map(
        (id, i) => tx.upsertVector(event.libraryId, id, row(i), event.metadata[i]).internalId,
      ),
    );
    const index = this.indexFor(record);
    internalIds.forEach((id, i) => index.upsert(id, row(i)));
    this.metrics?.vectorsApplied.inc(
      { partition: this.partition, operation: "upsert" },
      event.ids.length,
    );
    this.trainIfReady(index);
  }

  private trainIfReady(index: LibraryIndex): void {
    if (!index.readyToTrain()) return;
    const started = performance.now();
    const parameters = index.train(this.store, this.partition);
    this.store.saveQuantizer(this.partition, index.record.libraryId, parameters);
    this.logger.info(
      {
        library: index.record.libraryId,
        vectors: index.size,
        ms: Math.round(performance.now() - started),
      },
      "quantizer trained, index rebuilt on codes",
    );
  }

  private libraryOf(libraryId: string): LibraryRecord {
    const record = this.store.library(this.partition, libraryId);
    if (!record)
      throw new Rejection(
        "UNKNOWN_LIBRARY",
        `library ${libraryId} does not exist in partition ${this.partition}`,
      );
    return record;
  }

  private indexFor(record: LibraryRecord): LibraryIndex {
    let index = this.indexes.get(record.libraryId);
    if (!index) {
      index = LibraryIndex.create(record, this.store, this.partition);
      this.indexes.set(record.libraryId, index);
    }
    return index;
  }

  private deadLetter(entry: LogEntry, code: string, reason: string): void {
    this.store.apply(this.partition, entry.seq, (tx) =>
      tx.deadLetter({ msgId: entry.msgId, code, reason, data: entry.data }),
    );
    this.metrics?.deadLettered.inc({ partition: this.partition, reason: code });
    this.logger.warn({ seq: entry.seq, msgId: entry.msgId, code, reason }, "event dead-lettered");
  }
}

function sameLibrary(a: LibraryRecord, b: LibraryRecord): boolean {
  return JSON.stringify({ ...a, createdAtMs: 0 }) === JSON.stringify({ ...b, createdAtMs: 0 });
}
