import type { KernelWorkspace } from "@quiver/engine";
import type { QuantizationConfig } from "@quiver/events";
import type { PartitionLibrary, PartitionMigration, PartitionStore } from "@quiver/store";
import type { Logger } from "@quiver/telemetry";
import { LibraryIndex } from "../partition/library-index.js";
import { writeIndexSnapshot } from "../partition/snapshot-writing.js";
import { originalRowsInSlices } from "./sliced-rows.js";
import { APPLY_SLICE_MS, type SearchGate, TimeSlice } from "@quiver/threads";
import {
  type IndexRebuilder,
  RebuildCancelledError,
  type RebuildHandle,
  type RebuiltIndex,
} from "./index-rebuilder.js";

/** A partition's part in a library's latest migration, as the statistics report it. */
export interface MigrationProgress {
  migrationId: string;
  state: PartitionMigration["state"];
  /** Vectors inserted into the index being built (all of them once switched). */
  done: number;
  total: number;
  error?: string;
}

export interface MigrationHost {
  partition: number;
  store: PartitionStore;
  rebuilder: IndexRebuilder;
  logger: Logger;
  /** The workspace rebuilt indexes are restored into (the partition's thread's). */
  workspace?: KernelWorkspace;
  /** The node's searches in flight: snapshot writing gives way to them between slices. */
  searchGate?: SearchGate;
  /** Runs a task in the partition's order of batches and snapshots (never between two slices). */
  serial<T>(task: () => T | Promise<T>): Promise<T>;
  /** Puts a rebuilt index in place of the library's current one. */
  install(index: LibraryIndex): void;
}

/** What a library's record says its partition must build now. */
interface Plan {
  /** Identifies the build: a different key cancels the one running. */
  key: string;
  /** A migration toward its target or back to its origin, or a first training's codes. */
  kind: "migrate" | "roll_back" | "train";
  target: QuantizationConfig;
  /** The trained quantizer to build the codes with (undefined: build it exact, float32). */
  quantizer: Uint8Array | undefined;
}

interface Build {
  plan: Plan;
  handle?: RebuildHandle;
  /** Ids changed since the vectors were read for the rebuild (undefined until they are). */
  changed: Set<number> | undefined;
  done: number;
  total: number;
}

/** Under this name a partition keeps the quantizer a migration replaced, for its rollback. */
function rollbackQuantizer(migrationId: string): string {
  return `rollback:${migrationId}`;
}

/**
 * The background index builds of one partition's libraries: migrations and first trainings. The
 * store's library record says where each stands (its PartitionMigration and PartitionTraining);
 * this class makes the running builds match it: a `building` migration builds its target (with
 * its training's quantizer, once that has arrived), a `rolling_back` one its origin (with the
 * quantizer it had), a `building` training the library's config on the trained codes; any other
 * state runs nothing. Builds run in a worker thread from the float32 originals; the old index
 * serves until the new one, caught up with the ids changed while it was built, replaces it in
 * one step (record, quantizer and snapshot in one store transaction), so a search sees the old
 * index or the new one, never a mix; a restart resumes from the record.
 */
export class PartitionMigrations {
  private readonly builds = new Map<string, Build>();

  constructor(private readonly host: MigrationHost) {}

  /** Starts, keeps or drops the build of `libraryId` to match its record. */
  reconcile(libraryId: string): void {
    const record = this.host.store.library(this.host.partition, libraryId);
    const plan = record && this.plan(record);
    const current = this.builds.get(libraryId);
    if (current && current.plan.key !== plan?.key) {
      current.handle?.cancel();
      this.builds.delete(libraryId);
    }
    if (record && plan && !this.builds.has(libraryId)) this.start(record, plan);
  }

  private plan(record: PartitionLibrary): Plan | undefined {
    const { store, partition } = this.host;
    const lib = record.libraryId;
    const m = record.migration;
    if (m?.state === "building") {
      const quantizer = m.trainingId
        ? store.trainedQuantizer(partition, lib, m.trainingId)
        : undefined;
      // the migration's quantizer is still on its way: nothing to build yet
      if (m.trainingId && !quantizer) return undefined;
      return { key: `migrate:${m.migrationId}`, kind: "migrate", target: m.to, quantizer };
    }
    if (m?.state === "rolling_back") {
      return {
        key: `roll_back:${m.migrationId}`,
        kind: "roll_back",
        target: m.from,
        quantizer: store.trainedQuantizer(partition, lib, rollbackQuantizer(m.migrationId)),
      };
    }
    const t = record.training;
    if (t?.state === "building") {
      const quantizer = store.trainedQuantizer(partition, lib, t.trainingId);
      if (!quantizer) return undefined;
      return {
        key: `train:${t.trainingId}`,
        kind: "train",
        target: record.quantization,
        quantizer,
      };
    }
    return undefined;
  }

  /** Notes ids changed by applied events: a running rebuild applies them before it switches. */
  touched(libraryId: string, ids: Iterable<number | undefined>): void {
    const changed = this.builds.get(libraryId)?.changed;
    if (!changed) return;
    for (const id of ids) if (id !== undefined) changed.add(id);
  }

  progress(libraryId: string): MigrationProgress | undefined {
    const { store, partition } = this.host;
    const m = store.library(partition, libraryId)?.migration;
    if (!m) return undefined;
    const build = this.builds.get(libraryId);
    const count = store.count(partition, libraryId);
    const running = build && build.plan.key.endsWith(`:${m.migrationId}`);
    return {
      migrationId: m.migrationId,
      state: m.state,
      done: running ? build.done : m.state === "building" ? 0 : count,
      total: running ? build.total : count,
      ...(m.error ? { error: m.error } : {}),
    };
  }

  /** Whether a build of the library runs (or waits for its turn) in this partition. */
  building(libraryId: string): boolean {
    return this.builds.has(libraryId);
  }

  /** Drops every rebuild (the partition stops here; its next host resumes from the records). */
  stop(): void {
    for (const build of this.builds.values()) build.handle?.cancel();
    this.builds.clear();
  }

  private start(record: PartitionLibrary, plan: Plan): void {
    const { store, partition, rebuilder, logger } = this.host;
    const { libraryId, dimension } = record;
    const build: Build = {
      plan,
      changed: undefined,
      done: 0,
      total: store.count(partition, libraryId),
    };
    this.builds.set(libraryId, build);
    const started = performance.now();
    build.handle = rebuilder.submit({
      record: { ...record, quantization: plan.target, migration: undefined, training: undefined },
      quantizer: plan.quantizer,
      collect: async () => {
        build.changed = new Set();
        const slice = new TimeSlice(APPLY_SLICE_MS, this.host.searchGate);
        const rows = await originalRowsInSlices(store, partition, libraryId, dimension, slice);
        return { ...rows, capacity: Math.max(1024, store.idBound(partition, libraryId)) };
      },
      progress: (done, total) => {
        build.done = Math.max(build.done, done);
        build.total = total;
      },
    });
    build.handle.result.then(
      (rebuilt) =>
        this.host.serial(async () => {
          if (this.builds.get(libraryId) !== build) return;
          this.builds.delete(libraryId);
          await this.finish(libraryId, build, rebuilt, performance.now() - started);
        }),
      (error: unknown) => {
        if (error instanceof RebuildCancelledError || this.builds.get(libraryId) !== build) return;
        this.builds.delete(libraryId);
        this.fail(libraryId, build.plan, error);
      },
    );
    logger.info({ library: libraryId, build: plan.key }, "rebuild queued");
  }

  /** The record once `plan` has switched, or undefined when the record moved on meanwhile. */
  private switched(record: PartitionLibrary, plan: Plan): PartitionLibrary | undefined {
    if (this.plan(record)?.key !== plan.key) return undefined;
    const m = record.migration;
    if (plan.kind === "train" && record.training) {
      return { ...record, training: { ...record.training, state: "switched" } };
    }
    if (plan.kind === "migrate" && m) {
      return {
        ...record,
        quantization: m.to,
        migration: { ...m, state: "switched" },
        training: undefined,
      };
    }
    if (plan.kind === "roll_back" && m) {
      return { ...record, quantization: m.from, migration: { ...m, state: "rolled_back" } };
    }
    return undefined;
  }

  private async finish(
    libraryId: string,
    build: Build,
    rebuilt: RebuiltIndex,
    ms: number,
  ): Promise<void> {
    const { store, partition, logger } = this.host;
    const record = store.library(partition, libraryId);
    const switched = record && this.switched(record, build.plan);
    if (!record || !switched) return;
    try {
      const index = LibraryIndex.fromSnapshot(
        switched,
        store,
        partition,
        rebuilt.snapshot,
        this.host.workspace,
        build.changed ?? [],
      );
      const snapshot = await writeIndexSnapshot(
        store,
        partition,
        index,
        new TimeSlice(APPLY_SLICE_MS, this.host.searchGate),
      );
      try {
        const replaced = store.quantizer(partition, libraryId);
        if (build.plan.kind === "migrate" && replaced && record.migration) {
          store.keepQuantizer(
            partition,
            libraryId,
            rollbackQuantizer(record.migration.migrationId),
            replaced,
          );
        }
        store.switchIndex(partition, switched, build.plan.quantizer, snapshot);
      } catch (error) {
        snapshot.abandon();
        throw error;
      }
      this.host.install(index);
      logger.info(
        {
          library: libraryId,
          build: build.plan.key,
          strategy: switched.quantization.strategy,
          phase: index.phase,
          vectors: index.size,
          ms: Math.round(ms),
        },
        build.plan.kind === "roll_back" ? "migration rolled back" : "index switched",
      );
    } catch (error) {
      this.fail(libraryId, build.plan, error);
    }
  }

  private fail(libraryId: string, plan: Plan, error: unknown): void {
    const { store, partition, logger } = this.host;
    const record = store.library(partition, libraryId);
    if (!record || this.plan(record)?.key !== plan.key) return;
    const message = error instanceof Error ? error.message : String(error);
    const m = record.migration;
    const t = record.training;
    const failed: PartitionLibrary =
      plan.kind === "train" && t
        ? { ...record, training: { ...t, state: "failed", error: message } }
        : m
          ? { ...record, migration: { ...m, state: "failed", error: message } }
          : record;
    store.updateLibrary(partition, failed);
    logger.error(
      { library: libraryId, build: plan.key, err: error },
      "index rebuild failed; the current index keeps serving",
    );
  }
}
