import {
  effectiveQuantization,
  type LibraryRecord,
  type LibraryTrained,
  type QuantizationConfig,
  type QuiverEvent,
} from "@quiver/events";

/** A migration as the catalog records it. */
export interface MigrationRecord {
  migrationId: string;
  libraryId: string;
  from: QuantizationConfig;
  to: QuantizationConfig;
  /** The training `to` is built with, when it searches codes (see MigrationStarted). */
  trainingId?: string;
  status: "in_progress" | "completed" | "failed" | "cancelled";
  startedAtMs: number;
  finishedAtMs?: number;
  reason?: string;
}

export type TrainingRecord = LibraryTrained & { seq: number };

/** What set the config a library runs now (see CatalogState.configSetAt). */
export interface ConfigSetAt {
  seq: number;
  migrationId?: string;
}

/**
 * The catalog's state as plain data, in each map's insertion order (the order queries answer
 * in): what a snapshot holds. Restoring it gives the state it was taken from.
 */
export interface CatalogStateData {
  /** The catalog seq of the last event applied. */
  seq: number;
  libraries: LibraryRecord[];
  migrations: MigrationRecord[];
  /** Per library with a migration in progress: its id. */
  active: [libraryId: string, migrationId: string][];
  trainings: TrainingRecord[];
  configSetAt: [libraryId: string, set: ConfigSetAt][];
}

/**
 * The libraries, their migrations and trainings, as the lifecycle events of the catalog partition
 * make them: the maps and how each event changes them. Last-value facts (recall, decisions,
 * progress) are not here but in LibraryFacts.
 */
export class CatalogState {
  private readonly libraries = new Map<string, LibraryRecord>();
  private readonly migrations = new Map<string, MigrationRecord>();
  /** The migration in progress of each library that has one (one at a time). */
  private readonly active = new Map<string, MigrationRecord>();
  /** Trainings published, by library then id, with the catalog seq that recorded them. */
  private readonly trainings = new Map<string, Map<string, TrainingRecord>>();
  /** The library of each training published. */
  private readonly trainingLibrary = new Map<string, string>();
  /**
   * Per library, what set the config it runs now: the catalog seq of that event, and the
   * migration when one did (a training for the migration counts though recorded before it).
   */
  private readonly configSetAt = new Map<string, ConfigSetAt>();
  seq = 0;

  static restore(data: CatalogStateData): CatalogState {
    const state = new CatalogState();
    state.seq = data.seq;
    for (const l of data.libraries) state.libraries.set(l.libraryId, l);
    for (const m of data.migrations) state.migrations.set(m.migrationId, m);
    for (const [libraryId, migrationId] of data.active) {
      const m = state.migrations.get(migrationId);
      if (m) state.active.set(libraryId, m);
    }
    for (const t of data.trainings) state.addTraining(t);
    for (const [libraryId, set] of data.configSetAt) state.configSetAt.set(libraryId, set);
    return state;
  }

  /** The state as plain data; it shares the records, which later events change: encode at once. */
  data(): CatalogStateData {
    return {
      seq: this.seq,
      libraries: [...this.libraries.values()],
      migrations: [...this.migrations.values()],
      active: [...this.active].map(([l, m]): [string, string] => [l, m.migrationId]),
      trainings: [...this.trainings.values()].flatMap((of) => [...of.values()]),
      configSetAt: [...this.configSetAt],
    };
  }

  get(libraryId: string): LibraryRecord | undefined {
    return this.libraries.get(libraryId);
  }

  all(): LibraryRecord[] {
    return [...this.libraries.values()];
  }

  migration(migrationId: string): MigrationRecord | undefined {
    return this.migrations.get(migrationId);
  }

  migrationsOf(libraryId: string): MigrationRecord[] {
    return [...this.migrations.values()].filter((m) => m.libraryId === libraryId);
  }

  activeMigration(libraryId: string): MigrationRecord | undefined {
    return this.active.get(libraryId);
  }

  activeMigrations(): MigrationRecord[] {
    return [...this.active.values()];
  }

  trained(trainingId: string): boolean {
    return this.trainingLibrary.has(trainingId);
  }

  /** The latest training of the config the library runs, since that config was set. */
  currentTraining(library: LibraryRecord): LibraryTrained | undefined {
    const current = JSON.stringify(effectiveQuantization(library.quantization));
    const set = this.configSetAt.get(library.libraryId) ?? { seq: 0 };
    let latest: TrainingRecord | undefined;
    for (const t of this.trainings.get(library.libraryId)?.values() ?? []) {
      if (JSON.stringify(t.config) !== current) continue;
      const counts = t.seq > set.seq || (set.migrationId && t.migrationId === set.migrationId);
      if (counts && (!latest || t.trainingId > latest.trainingId)) latest = t;
    }
    return latest;
  }

  /** Applies lifecycle event `event`, recorded at catalog seq `seq`; other events change nothing. */
  apply(seq: number, event: QuiverEvent): void {
    switch (event.type) {
      case "library.created": {
        const { type: _type, ...record } = event;
        if (!this.libraries.has(record.libraryId)) {
          this.libraries.set(record.libraryId, record);
          this.configSetAt.set(record.libraryId, { seq });
        }
        break;
      }
      case "library.config_changed": {
        const record = this.libraries.get(event.libraryId);
        const q = event.quantization;
        if (record) {
          const quantization =
            q.strategy === "adaptive" && record.quantization.strategy === "adaptive"
              ? { ...q, current: record.quantization.current }
              : q;
          this.libraries.set(event.libraryId, { ...record, quantization });
        }
        break;
      }
      case "library.deleted":
        this.deleteLibrary(event.libraryId);
        break;
      case "library.trained":
        if (this.libraries.has(event.libraryId) && !this.trainingLibrary.has(event.trainingId))
          this.addTraining({ ...event, seq });
        break;
      case "migration.started":
        if (this.libraries.has(event.libraryId) && !this.migrations.has(event.migrationId)) {
          const record: MigrationRecord = {
            migrationId: event.migrationId,
            libraryId: event.libraryId,
            from: event.from,
            to: event.to,
            status: "in_progress",
            startedAtMs: event.atMs ?? 0,
            ...(event.trainingId ? { trainingId: event.trainingId } : {}),
          };
          this.migrations.set(event.migrationId, record);
          this.active.set(event.libraryId, record);
        }
        break;
      case "migration.completed":
      case "migration.failed":
      case "migration.cancelled":
        this.finishMigration(event, seq);
        break;
      default:
    }
  }

  private deleteLibrary(libraryId: string): void {
    this.libraries.delete(libraryId);
    for (const m of this.migrationsOf(libraryId)) this.migrations.delete(m.migrationId);
    this.active.delete(libraryId);
    this.configSetAt.delete(libraryId);
    for (const id of this.trainings.get(libraryId)?.keys() ?? []) this.trainingLibrary.delete(id);
    this.trainings.delete(libraryId);
  }

  private addTraining(t: TrainingRecord): void {
    let of = this.trainings.get(t.libraryId);
    if (!of) this.trainings.set(t.libraryId, (of = new Map()));
    of.set(t.trainingId, t);
    this.trainingLibrary.set(t.trainingId, t.libraryId);
  }

  private finishMigration(
    event: Extract<
      QuiverEvent,
      { type: "migration.completed" | "migration.failed" | "migration.cancelled" }
    >,
    seq: number,
  ): void {
    const m = this.migrations.get(event.migrationId);
    if (!m || m.status !== "in_progress") return;
    m.finishedAtMs = event.atMs ?? 0;
    if (this.active.get(m.libraryId) === m) this.active.delete(m.libraryId);
    if (event.type === "migration.completed") {
      m.status = "completed";
      const record = this.libraries.get(m.libraryId);
      if (record) {
        this.libraries.set(m.libraryId, { ...record, quantization: m.to });
        this.configSetAt.set(m.libraryId, { seq, migrationId: m.migrationId });
      }
    } else {
      m.status = event.type === "migration.failed" ? "failed" : "cancelled";
      m.reason = event.reason;
    }
  }
}
