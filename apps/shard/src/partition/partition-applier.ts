import {
  decodeEvent,
  effectiveQuantization,
  isEventDecodeError,
  type QuiverEvent,
} from "@quiver/events";
import type { KernelWorkspace } from "@quiver/engine";
import type { EventLog, LogEntry, LogSubscription } from "@quiver/log";
import type { PartitionLibrary, PartitionStore, PartitionWriter } from "@quiver/store";
import { type Logger, type ShardMetrics, silentLogger } from "@quiver/telemetry";
import { IndexRebuilder } from "../migration/index-rebuilder.js";
import { type MigrationProgress, PartitionMigrations } from "../migration/partition-migrations.js";
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
  /** Runs migrations' index rebuilds (one per shard node; a private one when absent). */
  rebuilder?: IndexRebuilder;
  /**
   * The kernel workspace of the thread the partition runs on, shared by every library index of
   * every partition there (one per shard thread); a private one per index when absent.
   */
  workspace?: KernelWorkspace;
}

export type ApplierStatus =
  | { state: "idle" | "running" | "stopped"; appliedSeq: number }
  | { state: "halted"; appliedSeq: number; failedSeq: number; error: string };

/** Entries applied in one store transaction, at most... */
const MAX_BATCH = 1000;
/**
 * ...and bytes of events: LMDB keeps the pages a write transaction dirtied for reuse, for the
 * life of the process, so the largest transaction sets memory the shard holds for good (a
 * backlog applied in one transaction of 20,000 384-d vectors kept 80 MB more than batches of 500).
 */
const MAX_BATCH_BYTES = 4 * 1024 * 1024;

/** What a batch does to the in-memory indexes, applied after its transaction commits. */
type IndexEffect =
  | { kind: "create"; record: PartitionLibrary }
  | { kind: "drop"; libraryId: string }
  | { kind: "upsert"; record: PartitionLibrary; ids: number[]; vectors: Float32Array }
  | { kind: "delete"; libraryId: string; ids: (number | undefined)[] }
  | { kind: "migration"; libraryId: string };

interface Letter {
  seq: number;
  msgId: string;
  code: string;
  reason: string;
}

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
  /** Callers waiting for a sequence to be applied (consistency levels, `wait` writes). */
  private waiters: { seq: number; resolve: (applied: boolean) => void }[] = [];
  private readonly migrations: PartitionMigrations;
  private readonly workspace: KernelWorkspace | undefined;

  constructor(options: ApplierOptions) {
    this.workspace = options.workspace;
    this.partition = options.partition;
    this.store = options.store;
    this.log = options.log;
    this.metrics = options.metrics;
    this.logger = (options.logger ?? silentLogger()).child({ partition: options.partition });
    this.snapshotEveryEvents = options.snapshotEveryEvents ?? 50_000;
    this.snapshotEveryMs = options.snapshotEveryMs ?? 60_000;
    this.migrations = new PartitionMigrations({
      partition: this.partition,
      store: this.store,
      rebuilder: options.rebuilder ?? new IndexRebuilder(),
      logger: this.logger,
      workspace: this.workspace,
      install: (index) => {
        const old = this.indexes.get(index.record.libraryId);
        this.indexes.set(index.record.libraryId, index);
        if (old !== index) old?.dispose();
        this.trainIfReady(index);
      },
    });
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

  /** Where this partition stands in the library's latest migration (undefined: none). */
  migrationProgress(libraryId: string): MigrationProgress | undefined {
    return this.migrations.progress(libraryId);
  }

  /**
   * Resolves true once `seq` is applied, false when `timeoutMs` passes first or the partition
   * halts or stops.
   */
  waitFor(seq: number, timeoutMs: number): Promise<boolean> {
    if (this.appliedSeq >= seq) return Promise.resolve(true);
    if (this.failure || timeoutMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = {
        seq,
        resolve: (applied: boolean) => {
          clearTimeout(timer);
          resolve(applied);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  private wakeWaiters(): void {
    if (this.waiters.length === 0) return;
    const applied = this.appliedSeq;
    const done = this.failure !== undefined || this.state === "stopped";
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (w.seq <= applied) w.resolve(true);
      else if (done) w.resolve(false);
      else still.push(w);
    }
    this.waiters = still;
  }

  /** Loads every library's index as of the store's state (call once, before applying). */
  restore(): void {
    for (const record of this.store.libraries(this.partition)) {
      const index = LibraryIndex.restore(record, this.store, this.partition, this.workspace);
      this.indexes.set(record.libraryId, index);
      this.trainIfReady(index);
      this.migrations.reconcile(record.libraryId);
    }
    this.logger.info(
      { appliedSeq: this.appliedSeq, libraries: this.indexes.size },
      "partition restored",
    );
  }

  /** Applies one entry of this partition's log; skips it when already applied. */
  apply(entry: LogEntry): void {
    this.applyBatch([entry]);
  }

  /**
   * Applies consecutive entries of this partition's log in one store transaction (skipping those
   * already applied), then to the indexes. If the transaction fails, the entries are applied one
   * by one so that the partition halts exactly at the failing one.
   */
  applyBatch(entries: LogEntry[]): void {
    if (this.failure) {
      throw new PartitionHaltedError(
        `partition ${this.partition} halted at ${this.failure.seq}: ${this.failure.error}`,
      );
    }
    const applied = this.appliedSeq;
    const fresh = entries.filter((e) => e.seq > applied);
    if (fresh.length === 0) return;
    let bytes = 0;
    const fits = fresh.findIndex((e) => (bytes += e.data.byteLength) > MAX_BATCH_BYTES);
    if (fits >= 0) {
      // one transaction per MAX_BATCH_BYTES (a single larger event goes alone)
      const cut = Math.max(1, fits);
      this.applyBatch(fresh.slice(0, cut));
      this.applyBatch(fresh.slice(cut));
      return;
    }
    const effects: IndexEffect[] = [];
    const letters: Letter[] = [];
    const types: string[] = [];
    try {
      this.store.apply(this.partition, fresh[fresh.length - 1].seq, (tx) => {
        for (const entry of fresh) this.write(tx, entry, effects, letters, types);
      });
    } catch (error) {
      if (fresh.length > 1) {
        for (const entry of fresh) this.applyBatch([entry]);
        return;
      }
      this.halt(fresh[0].seq, error);
    }
    for (const letter of letters) {
      this.metrics?.deadLettered.inc({ partition: this.partition, reason: letter.code });
      this.logger.warn(letter, "event dead-lettered");
    }
    try {
      for (const effect of effects) this.applyEffect(effect);
    } catch (error) {
      // The store has the batch; a restart reconciles the index from it. Until then: stop.
      this.halt(fresh[fresh.length - 1].seq, error);
    }
    for (const type of types) this.metrics?.eventsApplied.inc({ partition: this.partition, type });
    this.metrics?.appliedSeq.set({ partition: this.partition }, this.appliedSeq);
    this.wakeWaiters();
    this.eventsSinceSnapshot += fresh.length;
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
      const batch = await this.log.read(this.partition, next, MAX_BATCH);
      if (batch.length === 0) break;
      this.applyBatch(batch);
      next = batch[batch.length - 1].seq + 1;
    }
    return this.appliedSeq;
  }

  /**
   * Applies the log as it grows, until stop() or a halt. Entries that arrive together are applied
   * together (one transaction), up to MAX_BATCH.
   */
  async run(): Promise<void> {
    this.state = "running";
    const subscription = this.log.subscribe(this.partition, this.appliedSeq + 1);
    this.subscription = subscription;
    const queue: LogEntry[] = [];
    let scheduled = false;
    let failed: unknown;
    const drain = () => {
      scheduled = false;
      if (queue.length === 0 || failed) return;
      try {
        this.applyBatch(queue.splice(0));
      } catch (error) {
        failed = error;
        void subscription.stop();
      }
    };
    try {
      for await (const entry of subscription) {
        queue.push(entry);
        if (queue.length >= MAX_BATCH) drain();
        else if (!scheduled) {
          scheduled = true;
          setImmediate(drain);
        }
        if (failed) break;
      }
      drain();
    } finally {
      this.state = "stopped";
    }
    if (failed && !this.failure) throw failed;
  }

  async stop(): Promise<void> {
    this.migrations.stop();
    await this.subscription?.stop();
    this.state = "stopped";
    this.wakeWaiters();
  }

  /**
   * Frees every library index (the node no longer hosts the partition; its store state stays).
   * Call after stop().
   */
  dispose(): void {
    for (const index of this.indexes.values()) index.dispose();
    this.indexes.clear();
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

  /** The store writes of one entry (inside the batch's transaction), and its index effects. */
  private write(
    tx: PartitionWriter,
    entry: LogEntry,
    effects: IndexEffect[],
    letters: Letter[],
    types: string[],
  ): void {
    let event: QuiverEvent;
    try {
      event = decodeEvent(entry.data);
      this.writeEvent(tx, event, effects);
    } catch (error) {
      if (!isEventDecodeError(error) && !(error instanceof Rejection)) throw error;
      const letter = {
        seq: entry.seq,
        msgId: entry.msgId,
        code: error.code,
        reason: error.message,
      };
      tx.deadLetter({ ...letter, data: entry.data });
      letters.push(letter);
      return;
    }
    types.push(event.type);
  }

  /** Validates first, then writes: a rejected event writes nothing. */
  private writeEvent(tx: PartitionWriter, event: QuiverEvent, effects: IndexEffect[]): void {
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
        tx.putLibrary(record);
        effects.push({ kind: "create", record });
        return;
      }
      case "library.config_changed": {
        const record = this.libraryOf(event.libraryId);
        // The new config is recorded; indexes change through migrations (brief §2).
        const q = event.quantization;
        // an adaptive library's parameters change; what its index runs stays until a migration
        const quantization =
          q.strategy === "adaptive" && record.quantization.strategy === "adaptive"
            ? { ...q, current: record.quantization.current }
            : q;
        tx.putLibrary({ ...record, quantization });
        return;
      }
      case "library.deleted":
        tx.deleteLibrary(event.libraryId);
        effects.push({ kind: "drop", libraryId: event.libraryId });
        return;
      case "vectors.upserted": {
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
        const ids = event.ids.map(
          (id, i) =>
            tx.upsertVector(
              event.libraryId,
              id,
              values.subarray(i * dim, (i + 1) * dim),
              event.metadata[i],
            ).internalId,
        );
        effects.push({ kind: "upsert", record, ids, vectors: values });
        return;
      }
      case "vectors.deleted": {
        this.libraryOf(event.libraryId);
        const ids = event.ids.map((id) => tx.deleteVector(event.libraryId, id));
        effects.push({ kind: "delete", libraryId: event.libraryId, ids });
        return;
      }
      case "migration.started": {
        const record = this.libraryOf(event.libraryId);
        if (record.migration?.migrationId === event.migrationId) return;
        // the same index either way (e.g. to adaptive, keeping what it runs now): no rebuild
        const already = sameQuantization(
          effectiveQuantization(record.quantization),
          effectiveQuantization(event.to),
        );
        tx.putLibrary({
          ...record,
          ...(already ? { quantization: event.to } : {}),
          migration: {
            migrationId: event.migrationId,
            from: record.quantization,
            to: event.to,
            state: already ? "switched" : "building",
          },
        });
        effects.push({ kind: "migration", libraryId: event.libraryId });
        return;
      }
      case "migration.failed":
      case "migration.cancelled": {
        const record = this.libraryOf(event.libraryId);
        const m = record.migration;
        if (m?.migrationId !== event.migrationId) return;
        // Not switched yet: the rebuild is dropped. Switched: the old config is rebuilt.
        const state =
          m.state === "building" ? "abandoned" : m.state === "switched" ? "rolling_back" : m.state;
        tx.putLibrary({ ...record, migration: { ...m, state } });
        effects.push({ kind: "migration", libraryId: event.libraryId });
        return;
      }
      default:
      // Completion and policy events are the coordinators' record; a partition only passes them.
    }
  }

  private applyEffect(effect: IndexEffect): void {
    const p = this.partition;
    switch (effect.kind) {
      case "create":
        if (!this.indexes.has(effect.record.libraryId)) {
          this.indexes.set(
            effect.record.libraryId,
            LibraryIndex.create(effect.record, this.store, p, this.workspace),
          );
        }
        return;
      case "drop":
        this.indexes.get(effect.libraryId)?.dispose();
        this.indexes.delete(effect.libraryId);
        this.migrations.reconcile(effect.libraryId);
        return;
      case "migration":
        this.migrations.reconcile(effect.libraryId);
        return;
      case "upsert": {
        const index = this.indexFor(effect.record);
        const dim = effect.record.dimension;
        effect.ids.forEach((id, i) =>
          index.upsert(id, effect.vectors.subarray(i * dim, (i + 1) * dim)),
        );
        this.migrations.touched(effect.record.libraryId, effect.ids);
        this.metrics?.vectorsApplied.inc({ partition: p, operation: "upsert" }, effect.ids.length);
        this.trainIfReady(index);
        return;
      }
      case "delete": {
        const index = this.indexes.get(effect.libraryId);
        for (const id of effect.ids) if (id !== undefined) index?.delete(id);
        this.migrations.touched(effect.libraryId, effect.ids);
        this.metrics?.vectorsApplied.inc({ partition: p, operation: "delete" }, effect.ids.length);
      }
    }
  }

  private halt(seq: number, error: unknown): never {
    this.failure = { seq, error: (error as Error).message };
    this.wakeWaiters();
    this.logger.error({ seq, err: error }, "partition halted: an event could not be applied");
    throw error;
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

  private libraryOf(libraryId: string): PartitionLibrary {
    const record = this.store.library(this.partition, libraryId);
    if (!record)
      throw new Rejection(
        "UNKNOWN_LIBRARY",
        `library ${libraryId} does not exist in partition ${this.partition}`,
      );
    return record;
  }

  private indexFor(record: PartitionLibrary): LibraryIndex {
    let index = this.indexes.get(record.libraryId);
    if (!index) {
      index = LibraryIndex.create(record, this.store, this.partition, this.workspace);
      this.indexes.set(record.libraryId, index);
    }
    return index;
  }
}

function sameQuantization(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function sameLibrary(a: PartitionLibrary, b: PartitionLibrary): boolean {
  return JSON.stringify({ ...a, createdAtMs: 0 }) === JSON.stringify({ ...b, createdAtMs: 0 });
}
