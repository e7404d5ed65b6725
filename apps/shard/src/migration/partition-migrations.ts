import type { PartitionLibrary, PartitionMigration, PartitionStore } from "@quiver/store";
import type { Logger } from "@quiver/telemetry";
import type { KernelWorkspace } from "@quiver/engine";
import { LibraryIndex } from "../partition/library-index.js";
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
  /** Puts a rebuilt index in place of the library's current one (which it frees). */
  install(index: LibraryIndex): void;
}

interface Build {
  migrationId: string;
  /** `to`: building the migration's target; `from`: rebuilding the old config after an abort. */
  toward: "to" | "from";
  handle?: RebuildHandle;
  /** Ids changed since the vectors were read for the rebuild (undefined until they are). */
  changed: Set<number> | undefined;
  done: number;
  total: number;
}

/**
 * The migrations of one partition's libraries. The store's library record says where each stands
 * (PartitionMigration); this class makes the running rebuilds match it: a `building` record
 * rebuilds toward the target, a `rolling_back` one toward the old config, any other state runs
 * nothing. A finished rebuild catches up with the ids changed while it ran and replaces the
 * serving index in one step (record, quantizer and snapshot in one store transaction), so a
 * search sees the old index or the new one, never a mix; a restart resumes from the record.
 */
export class PartitionMigrations {
  private readonly builds = new Map<string, Build>();

  constructor(private readonly host: MigrationHost) {}

  /** Starts, keeps or drops the rebuild of `libraryId` to match its record. */
  reconcile(libraryId: string): void {
    const { store, partition } = this.host;
    const record = store.library(partition, libraryId);
    const m = record?.migration;
    const toward =
      m?.state === "building" ? "to" : m?.state === "rolling_back" ? "from" : undefined;
    const current = this.builds.get(libraryId);
    if (current && (current.migrationId !== m?.migrationId || current.toward !== toward)) {
      current.handle?.cancel();
      this.builds.delete(libraryId);
    }
    if (record && m && toward && !this.builds.has(libraryId)) this.start(record, m, toward);
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
    const running = build && build.migrationId === m.migrationId;
    return {
      migrationId: m.migrationId,
      state: m.state,
      done: running ? build.done : m.state === "building" ? 0 : count,
      total: running ? build.total : count,
      ...(m.error ? { error: m.error } : {}),
    };
  }

  /** Drops every rebuild (the partition stops here; its next host resumes from the records). */
  stop(): void {
    for (const build of this.builds.values()) build.handle?.cancel();
    this.builds.clear();
  }

  private start(record: PartitionLibrary, m: PartitionMigration, toward: "to" | "from"): void {
    const { store, partition, rebuilder, logger } = this.host;
    const { libraryId, dimension } = record;
    const target = toward === "to" ? m.to : m.from;
    const build: Build = {
      migrationId: m.migrationId,
      toward,
      changed: undefined,
      done: 0,
      total: store.count(partition, libraryId),
    };
    this.builds.set(libraryId, build);
    const started = performance.now();
    build.handle = rebuilder.submit({
      record: { ...record, quantization: target, migration: undefined },
      collect: () => {
        build.changed = new Set();
        const rows = store.originalRows(partition, libraryId, dimension);
        return { ...rows, capacity: Math.max(1024, store.idBound(partition, libraryId)) };
      },
      progress: (done, total) => {
        build.done = Math.max(build.done, done);
        build.total = total;
      },
    });
    build.handle.result.then(
      (rebuilt) => {
        if (this.builds.get(libraryId) !== build) return;
        this.builds.delete(libraryId);
        this.finish(libraryId, build, rebuilt, performance.now() - started);
      },
      (error: unknown) => {
        if (error instanceof RebuildCancelledError || this.builds.get(libraryId) !== build) return;
        this.builds.delete(libraryId);
        this.fail(libraryId, build, error);
      },
    );
    logger.info({ library: libraryId, migration: m.migrationId, toward }, "rebuild queued");
  }

  private finish(libraryId: string, build: Build, rebuilt: RebuiltIndex, ms: number): void {
    const { store, partition, logger } = this.host;
    const record = store.library(partition, libraryId);
    const m = record?.migration;
    const expected = build.toward === "to" ? "building" : "rolling_back";
    if (!record || !m || m.migrationId !== build.migrationId || m.state !== expected) return;
    const switched: PartitionLibrary = {
      ...record,
      quantization: build.toward === "to" ? m.to : m.from,
      migration: { ...m, state: build.toward === "to" ? "switched" : "rolled_back" },
    };
    try {
      const index = LibraryIndex.fromSnapshot(
        switched,
        store,
        partition,
        rebuilt.snapshot,
        this.host.workspace,
        build.changed ?? [],
      );
      store.switchIndex(partition, switched, rebuilt.quantizer, index.serialize());
      this.host.install(index);
      logger.info(
        {
          library: libraryId,
          migration: m.migrationId,
          strategy: switched.quantization.strategy,
          vectors: index.size,
          ms: Math.round(ms),
        },
        build.toward === "to" ? "migration switched the index" : "migration rolled back",
      );
    } catch (error) {
      this.fail(libraryId, build, error);
    }
  }

  private fail(libraryId: string, build: Build, error: unknown): void {
    const { store, partition, logger } = this.host;
    const record = store.library(partition, libraryId);
    const m = record?.migration;
    if (!record || !m || m.migrationId !== build.migrationId) return;
    const message = error instanceof Error ? error.message : String(error);
    store.updateLibrary(partition, {
      ...record,
      migration: { ...m, state: "failed", error: message },
    });
    logger.error(
      { library: libraryId, migration: m.migrationId, err: error },
      "migration rebuild failed; the current index keeps serving",
    );
  }
}
