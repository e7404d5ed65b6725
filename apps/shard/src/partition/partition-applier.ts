import type { KernelWorkspace } from "@quiver/engine";
import type { EventLogReader, LogEntry, LogSubscription } from "@quiver/log";
import type { PartitionStore } from "@quiver/store";
import { type Logger, type ShardMetrics, silentLogger } from "@quiver/telemetry";
import { IndexRebuilder } from "../migration/index-rebuilder.js";
import { type MigrationProgress, PartitionMigrations } from "../migration/partition-migrations.js";
import { APPLY_SLICE_MS, type SearchGate, TimeSlice } from "@quiver/threads";
import { EventWriter, type IndexEffect, type WrittenBatch } from "./event-writer.js";
import { LibraryIndex } from "./library-index.js";
import { writeIndexSnapshot } from "./snapshot-writing.js";

export interface ApplierOptions {
  partition: number;
  store: PartitionStore;
  log: EventLogReader;
  metrics?: ShardMetrics;
  logger?: Logger;
  /** Snapshot the indexes after this many applied events... */
  snapshotEveryEvents?: number;
  /** ...or after this much time with at least one applied event. */
  snapshotEveryMs?: number;
  /** Runs migrations' index rebuilds (one per thread; a private one when absent). */
  rebuilder?: IndexRebuilder;
  /**
   * The kernel workspace of the thread the partition runs on, shared by every library index of
   * every partition there (one per thread); a private one per index when absent.
   */
  workspace?: KernelWorkspace;
  /** The node's searches in flight: index work gives way to them between two slices. */
  searchGate?: SearchGate;
}

export type ApplierStatus =
  | { state: "idle" | "running" | "stopped"; appliedSeq: number }
  | { state: "halted"; appliedSeq: number; failedSeq: number; error: string };

/** Entries applied in one store transaction, at most... */
const MAX_BATCH = 1000;
/**
 * ...and bytes of events: a transaction blocks the partition's thread while it writes (about
 * 14 µs per 784-d vector: 256 KiB is about 1 ms), and LMDB keeps the pages a write transaction
 * dirtied for reuse, for the life of the process, so the largest transaction also sets memory
 * the shard holds for good. A single larger event goes alone.
 */
const MAX_BATCH_BYTES = 256 * 1024;

/** Bytes of live entries read ahead of the applier, at most (about READ_MAX_BYTES of the log). */
const MAX_QUEUED_BYTES = 4 * 1024 * 1024;

/** Thrown by apply() once a partition has halted. */
export class PartitionHaltedError extends Error {
  override readonly name = "PartitionHaltedError";
}

/**
 * Turns one partition's events into LMDB state and engine indexes, exactly once: an event at or
 * below the store's applied sequence is skipped; every other one is applied in one store
 * transaction that records its sequence, then to the indexes, in slices of a few milliseconds
 * so that the searches of the partition's thread run in between (they see the index as it
 * stands: a batch's vectors appear as they are inserted). A crash between the two is repaired
 * on restore (snapshot + the ids changed since). An event that cannot be decoded or does not fit
 * the partition's state is recorded as a dead letter (store, log line, metric) and passed; any
 * other failure halts the partition: it never skips an event.
 *
 * Batches, snapshots and the switch of a migrated index run one after another (`serial`), never
 * interleaved; searches are not part of that order.
 */
export class PartitionApplier {
  readonly partition: number;
  private readonly store: PartitionStore;
  private readonly log: EventLogReader;
  private readonly metrics: ShardMetrics | undefined;
  private readonly logger: Logger;
  private readonly snapshotEveryEvents: number;
  private readonly snapshotEveryMs: number;
  private readonly indexes = new Map<string, LibraryIndex>();
  /**
   * Every library of the partition; its index is made at its first vector (an empty library
   * holds nothing in RAM).
   */
  private readonly known = new Set<string>();
  /**
   * Libraries whose index could not be built or updated here (a resource error): they fail
   * alone, their events still stored, and come back when the partition is restored.
   */
  private readonly failures = new Map<string, string>();
  private readonly writer: EventWriter;
  private eventsSinceSnapshot = 0;
  private lastSnapshotMs = Date.now();
  private state: "idle" | "running" | "stopped" = "idle";
  private failure: { seq: number; error: string } | undefined;
  private subscription: LogSubscription | undefined;
  /** Callers waiting for a sequence to be applied (consistency levels, `wait` writes). */
  private waiters: { seq: number; resolve: (applied: boolean) => void }[] = [];
  private readonly migrations: PartitionMigrations;
  /** The last event applied to the store and the indexes both (what searches see). */
  private indexedSeq: number;
  private work: Promise<unknown> = Promise.resolve();
  private readonly workspace: KernelWorkspace | undefined;
  private readonly searchGate: SearchGate | undefined;

  constructor(options: ApplierOptions) {
    this.workspace = options.workspace;
    this.searchGate = options.searchGate;
    this.partition = options.partition;
    this.store = options.store;
    this.log = options.log;
    this.metrics = options.metrics;
    this.logger = (options.logger ?? silentLogger()).child({ partition: options.partition });
    this.snapshotEveryEvents = options.snapshotEveryEvents ?? 50_000;
    this.snapshotEveryMs = options.snapshotEveryMs ?? 60_000;
    this.writer = new EventWriter(this.store, this.partition);
    this.indexedSeq = this.store.appliedSeq(this.partition);
    this.migrations = new PartitionMigrations({
      partition: this.partition,
      store: this.store,
      rebuilder: options.rebuilder ?? new IndexRebuilder(),
      logger: this.logger,
      serial: (task) => this.serial(task),
      workspace: this.workspace,
      searchGate: options.searchGate,
      install: (index) => {
        const old = this.indexes.get(index.record.libraryId);
        this.indexes.set(index.record.libraryId, index);
        if (old !== index) old?.dispose();
        this.failures.delete(index.record.libraryId);
      },
    });
  }

  /** The last event whose effects searches see (store and indexes). */
  get appliedSeq(): number {
    return this.indexedSeq;
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

  /** Every library of the partition, with an index or not (yet). */
  libraries(): string[] {
    return [...this.known];
  }

  /** Why the library's index cannot serve here (undefined: it can, or it has no vector yet). */
  libraryFailure(libraryId: string): string | undefined {
    return this.failures.get(libraryId);
  }

  /** Where this partition stands in the library's latest migration (undefined: none). */
  migrationProgress(libraryId: string): MigrationProgress | undefined {
    return this.migrations.progress(libraryId);
  }

  /** Runs `task` after every batch, snapshot or switch queued before it. */
  serial<T>(task: () => T | Promise<T>): Promise<T> {
    const run = this.work.then(task);
    this.work = run.catch(() => undefined);
    return run;
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
    const swept = this.store.sweepSnapshotFiles(this.partition);
    if (swept > 0) this.logger.info({ files: swept }, "snapshot files no library uses removed");
    for (const record of this.store.libraries(this.partition)) {
      const { libraryId } = record;
      this.known.add(libraryId);
      const empty =
        this.store.count(this.partition, libraryId) === 0 &&
        !this.store.snapshotInfo(this.partition, libraryId);
      if (!empty) {
        try {
          const index = LibraryIndex.restore(record, this.store, this.partition, this.workspace);
          this.indexes.set(libraryId, index);
        } catch (error) {
          this.failLibrary(libraryId, error);
        }
      }
      this.migrations.reconcile(libraryId);
    }
    this.indexedSeq = this.store.appliedSeq(this.partition);
    this.logger.info(
      { appliedSeq: this.appliedSeq, libraries: this.indexes.size },
      "partition restored",
    );
  }

  /** Applies one entry of this partition's log; skips it when already applied. */
  apply(entry: LogEntry): Promise<void> {
    return this.applyBatch([entry]);
  }

  /**
   * Applies consecutive entries of this partition's log (skipping those already applied) in
   * store transactions of at most MAX_BATCH_BYTES, each followed by its index effects. If a
   * transaction fails, its entries are applied one by one so that the partition halts exactly at
   * the failing one.
   */
  applyBatch(entries: LogEntry[]): Promise<void> {
    return this.serial(() => this.applyNow(entries));
  }

  private async applyNow(entries: LogEntry[]): Promise<void> {
    if (this.failure) {
      throw new PartitionHaltedError(
        `partition ${this.partition} halted at ${this.failure.seq}: ${this.failure.error}`,
      );
    }
    const applied = this.store.appliedSeq(this.partition);
    const fresh = entries.filter((e) => e.seq > applied);
    if (fresh.length === 0) return;
    let bytes = 0;
    const fits = fresh.findIndex((e) => (bytes += e.data.byteLength) > MAX_BATCH_BYTES);
    if (fits >= 0 && fresh.length > 1) {
      const cut = Math.max(1, fits);
      await this.applyNow(fresh.slice(0, cut));
      await this.applyNow(fresh.slice(cut));
      return;
    }
    const written: WrittenBatch = { effects: [], letters: [], types: [] };
    const last = fresh[fresh.length - 1].seq;
    // The store transaction cannot be cut: searches in flight on the node go first.
    const slice = new TimeSlice(APPLY_SLICE_MS, this.searchGate);
    await slice.yieldIfDue();
    try {
      this.store.apply(this.partition, last, (tx) => {
        for (const entry of fresh) this.writer.write(tx, entry, written);
      });
    } catch (error) {
      if (fresh.length > 1) {
        // one event may be at fault (then it alone halts the partition), or the store failed
        this.logger.warn(
          { err: error, from: fresh[0].seq, to: last },
          "a batch of events could not be applied together: applying them one by one",
        );
        for (const entry of fresh) await this.applyNow([entry]);
        return;
      }
      this.halt(fresh[0].seq, error);
    }
    for (const letter of written.letters) {
      this.metrics?.deadLettered.inc({ partition: this.partition, reason: letter.code });
      this.logger.warn(letter, "event dead-lettered");
    }
    try {
      await this.applyEffects(written.effects, slice);
    } catch (error) {
      // The store has the batch; a restart reconciles the index from it. Until then: stop.
      this.halt(last, error);
    }
    this.indexedSeq = last;
    for (const type of written.types)
      this.metrics?.eventsApplied.inc({ partition: this.partition, type });
    this.metrics?.appliedSeq.set({ partition: this.partition }, this.appliedSeq);
    this.wakeWaiters();
    this.eventsSinceSnapshot += fresh.length;
    if (
      this.eventsSinceSnapshot >= this.snapshotEveryEvents ||
      Date.now() - this.lastSnapshotMs >= this.snapshotEveryMs
    ) {
      await this.snapshotNow();
    }
  }

  /** Applies everything the log holds for this partition beyond the applied sequence. */
  async catchUp(): Promise<number> {
    const last = await this.log.lastSeq(this.partition);
    let next = this.appliedSeq + 1;
    while (next <= last) {
      const batch = await this.log.read(this.partition, next, MAX_BATCH);
      if (batch.length === 0) break;
      await this.applyBatch(batch);
      next = batch[batch.length - 1].seq + 1;
    }
    return this.appliedSeq;
  }

  /**
   * Applies the log as it grows, until stop() or a halt. Entries that arrive while a batch is
   * applied are applied together next, up to MAX_BATCH entries; the subscription is read no
   * further ahead than that, nor than MAX_QUEUED_BYTES (a backlog of large events would
   * otherwise be held in memory here while the index catches up).
   */
  async run(): Promise<void> {
    this.state = "running";
    const subscription = this.log.subscribe(this.partition, this.appliedSeq + 1);
    this.subscription = subscription;
    const queue: LogEntry[] = [];
    let queuedBytes = 0;
    let draining: Promise<void> | undefined;
    let failed: unknown;
    const drain = async () => {
      // a turn for the entries delivered together to gather
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (queue.length > 0 && !failed) {
        const batch = queue.splice(0, MAX_BATCH);
        for (const e of batch) queuedBytes -= e.data.byteLength;
        try {
          await this.applyBatch(batch);
        } catch (error) {
          failed = error;
          void subscription.stop();
        }
      }
      draining = undefined;
    };
    try {
      for await (const entry of subscription) {
        queue.push(entry);
        queuedBytes += entry.data.byteLength;
        draining ??= drain();
        if (queue.length >= MAX_BATCH || queuedBytes >= MAX_QUEUED_BYTES) await draining;
        if (failed) break;
      }
      await draining;
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

  /**
   * Writes a snapshot of every library index changed since its last one (after queued work);
   * with `untilMs` (performance.now() time), starts no library's snapshot after it: the ones left
   * replay from the log at the next start (a stop in the middle of a backlog stays prompt).
   */
  snapshot(untilMs?: number): Promise<void> {
    return this.serial(() => this.snapshotNow(untilMs));
  }

  private async snapshotNow(untilMs = Infinity): Promise<void> {
    const started = performance.now();
    const slice = new TimeSlice(APPLY_SLICE_MS, this.searchGate);
    for (const [libraryId, index] of this.indexes) {
      if (performance.now() >= untilMs) {
        this.logger.warn(
          "stopping: snapshots left for later (the log replays them at the next start)",
        );
        return;
      }
      if (
        !this.store.hasDirtyIds(this.partition, libraryId) &&
        this.store.snapshotInfo(this.partition, libraryId) &&
        !index.builtFromVectors
      ) {
        continue;
      }
      const writer = await writeIndexSnapshot(this.store, this.partition, index, slice);
      this.store.commitSnapshot(writer);
      index.builtFromVectors = false;
      await slice.yieldIfDue();
    }
    this.eventsSinceSnapshot = 0;
    this.lastSnapshotMs = Date.now();
    this.metrics?.snapshotSeconds.observe(
      { partition: this.partition },
      (performance.now() - started) / 1000,
    );
  }

  /** A batch's effects on the indexes, in slices: a search waits at most one slice. */
  private async applyEffects(effects: IndexEffect[], slice: TimeSlice): Promise<void> {
    const p = this.partition;
    for (const effect of effects) {
      switch (effect.kind) {
        case "create":
          this.known.add(effect.record.libraryId);
          break;
        case "drop":
          this.indexes.get(effect.libraryId)?.dispose();
          this.indexes.delete(effect.libraryId);
          this.known.delete(effect.libraryId);
          this.failures.delete(effect.libraryId);
          this.migrations.reconcile(effect.libraryId);
          break;
        case "migration":
          this.migrations.reconcile(effect.libraryId);
          break;
        case "upsert": {
          const { record, ids, vectors } = effect;
          const dim = record.dimension;
          try {
            for (let i = 0; i < ids.length && !this.failures.has(record.libraryId); i++) {
              // looked up each time: a slice boundary may have let a library be dropped
              this.indexFor(record).upsert(ids[i], vectors.subarray(i * dim, (i + 1) * dim));
              if (slice.due()) await slice.pause();
            }
          } catch (error) {
            this.failLibrary(record.libraryId, error);
          }
          this.migrations.touched(record.libraryId, ids);
          this.metrics?.vectorsApplied.inc({ partition: p, operation: "upsert" }, ids.length);
          break;
        }
        case "delete": {
          const index = this.indexes.get(effect.libraryId);
          try {
            for (const id of effect.ids) if (id !== undefined) index?.delete(id);
          } catch (error) {
            this.failLibrary(effect.libraryId, error);
          }
          this.migrations.touched(effect.libraryId, effect.ids);
          this.metrics?.vectorsApplied.inc(
            { partition: p, operation: "delete" },
            effect.ids.length,
          );
        }
      }
      await slice.yieldIfDue();
    }
  }

  /**
   * Takes a library whose index failed (e.g. no memory to be had for it) out of service in this
   * partition: its index goes, its events are still stored, and the other libraries go on.
   */
  private failLibrary(libraryId: string, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    try {
      this.indexes.get(libraryId)?.dispose();
    } catch {
      // what it held may be half made; the workspace keeps it until compaction
    }
    this.indexes.delete(libraryId);
    this.failures.set(libraryId, message);
    this.metrics?.libraryFailures.inc({ partition: this.partition });
    this.logger.error(
      { library: libraryId, err: error },
      "library index failed in this partition: its searches fail until the partition is restored; the other libraries go on",
    );
  }

  private halt(seq: number, error: unknown): never {
    this.failure = { seq, error: (error as Error).message };
    this.wakeWaiters();
    this.logger.error({ seq, err: error }, "partition halted: an event could not be applied");
    throw error;
  }

  /** The library's index, made at its first vector. */
  private indexFor(record: LibraryIndex["record"]): LibraryIndex {
    let index = this.indexes.get(record.libraryId);
    if (!index) {
      index = LibraryIndex.create(record, this.store, this.partition, this.workspace);
      this.indexes.set(record.libraryId, index);
    }
    return index;
  }
}
