import {
  CATALOG_PARTITION,
  decodeEvent,
  effectiveQuantization,
  type LibraryTrained,
  type LibraryRecord,
  type PolicyDecision,
  type QuantizationConfig,
  type QuiverEvent,
  type RecallMeasured,
} from "@quiver/events";
import type { EventLog, LogSubscription } from "@quiver/log";
import { type Logger, silentLogger } from "@quiver/telemetry";

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

/**
 * The libraries, as the catalog partition of the log records them. Every coordinator keeps this
 * view by following the catalog from its first event; a coordinator that appends a library event
 * waits until its view has it, so its next request sees the change.
 */
export class Catalog {
  private readonly libraries = new Map<string, LibraryRecord>();
  private readonly migrations = new Map<string, MigrationRecord>();
  /** The migration in progress of each library that has one (one at a time). */
  private readonly active = new Map<string, MigrationRecord>();
  private readonly decisions = new Map<string, PolicyDecision>();
  /** The latest recall measurement of each library. */
  private readonly recalls = new Map<string, RecallMeasured>();
  /** Trainings published, by library then id, with the catalog seq that recorded them. */
  private readonly trainings = new Map<string, Map<string, LibraryTrained & { seq: number }>>();
  /** The library of each training published. */
  private readonly trainingLibrary = new Map<string, string>();
  /**
   * Per library, what set the config it runs now: the catalog seq of that event, and the
   * migration when one did (a training for the migration counts though recorded before it).
   */
  private readonly configSetAt = new Map<string, { seq: number; migrationId?: string }>();
  private seq = 0;
  private waiters: { seq: number; resolve: (ok: boolean) => void }[] = [];
  private subscription: LogSubscription | undefined;
  private following: Promise<void> | undefined;
  private readonly logger: Logger;

  constructor(
    private readonly log: EventLog,
    logger?: Logger,
  ) {
    this.logger = (logger ?? silentLogger()).child({ component: "catalog" });
  }

  /** Reads the catalog up to its end, then follows it. */
  async start(): Promise<void> {
    const last = await this.log.lastSeq(CATALOG_PARTITION);
    while (this.seq < last) {
      const entries = await this.log.read(CATALOG_PARTITION, this.seq + 1, 1000);
      if (entries.length === 0) break;
      for (const entry of entries) this.apply(entry.seq, entry.data);
    }
    const subscription = this.log.subscribe(CATALOG_PARTITION, this.seq + 1);
    this.subscription = subscription;
    this.following = (async () => {
      try {
        for await (const entry of subscription) this.apply(entry.seq, entry.data);
      } catch (error) {
        this.logger.error({ err: error }, "the catalog stopped following the log");
      }
    })();
  }

  get appliedSeq(): number {
    return this.seq;
  }

  get(libraryId: string): LibraryRecord | undefined {
    return this.libraries.get(libraryId);
  }

  list(tenantId: string): LibraryRecord[] {
    return [...this.libraries.values()]
      .filter((l) => l.tenantId === tenantId)
      .sort((a, b) => a.createdAtMs - b.createdAtMs || a.name.localeCompare(b.name));
  }

  byName(tenantId: string, name: string): LibraryRecord | undefined {
    for (const l of this.libraries.values())
      if (l.tenantId === tenantId && l.name === name) return l;
    return undefined;
  }

  /** All libraries, of every tenant. */
  all(): LibraryRecord[] {
    return [...this.libraries.values()];
  }

  migration(migrationId: string): MigrationRecord | undefined {
    return this.migrations.get(migrationId);
  }

  /** A library's migrations, oldest first. */
  migrationsOf(libraryId: string): MigrationRecord[] {
    return [...this.migrations.values()].filter((m) => m.libraryId === libraryId);
  }

  /** The adaptive policy's latest decision for a library. */
  lastDecision(libraryId: string): PolicyDecision | undefined {
    return this.decisions.get(libraryId);
  }

  /** The library's migration in progress, if any (one at a time). */
  activeMigration(libraryId: string): MigrationRecord | undefined {
    return this.active.get(libraryId);
  }

  /** Migrations still in progress, of every library. */
  activeMigrations(): MigrationRecord[] {
    return [...this.active.values()];
  }

  /** Whether training `trainingId` was published to its library's partitions. */
  trained(trainingId: string): boolean {
    return this.trainingLibrary.has(trainingId);
  }

  /**
   * Whether the library has a quantizer trained, once for all its partitions, for the config it
   * runs now (since that config was set).
   */
  trainedForCurrent(library: LibraryRecord): boolean {
    return this.currentTraining(library) !== undefined;
  }

  /** The latest training of the config the library runs, since that config was set. */
  currentTraining(library: LibraryRecord): LibraryTrained | undefined {
    const current = JSON.stringify(effectiveQuantization(library.quantization));
    const set = this.configSetAt.get(library.libraryId) ?? { seq: 0 };
    let latest: (LibraryTrained & { seq: number }) | undefined;
    for (const t of this.trainings.get(library.libraryId)?.values() ?? []) {
      if (JSON.stringify(t.config) !== current) continue;
      const counts = t.seq > set.seq || (set.migrationId && t.migrationId === set.migrationId);
      if (counts && (!latest || t.trainingId > latest.trainingId)) latest = t;
    }
    return latest;
  }

  /** The latest recall probe measurement of a library, if it has one. */
  recall(libraryId: string): RecallMeasured | undefined {
    return this.recalls.get(libraryId);
  }

  /** The latest recall measurement of every library measured. */
  allRecalls(): RecallMeasured[] {
    return [...this.recalls.values()];
  }

  /** Resolves true once the view includes catalog event `seq`. */
  waitFor(seq: number, timeoutMs: number): Promise<boolean> {
    if (this.seq >= seq) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      const waiter = {
        seq,
        resolve: (ok: boolean) => {
          clearTimeout(timer);
          resolve(ok);
        },
      };
      this.waiters.push(waiter);
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
    await this.following;
    for (const w of this.waiters) w.resolve(false);
    this.waiters = [];
  }

  private apply(seq: number, data: Uint8Array): void {
    if (seq <= this.seq) return;
    this.seq = seq;
    let event: QuiverEvent;
    try {
      event = decodeEvent(data);
    } catch (error) {
      this.logger.warn({ seq, err: error }, "catalog event skipped: it cannot be decoded");
      return this.wake();
    }
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
        this.libraries.delete(event.libraryId);
        for (const m of this.migrationsOf(event.libraryId)) this.migrations.delete(m.migrationId);
        this.active.delete(event.libraryId);
        this.decisions.delete(event.libraryId);
        this.recalls.delete(event.libraryId);
        this.configSetAt.delete(event.libraryId);
        for (const id of this.trainings.get(event.libraryId)?.keys() ?? [])
          this.trainingLibrary.delete(id);
        this.trainings.delete(event.libraryId);
        break;
      case "library.trained":
        if (this.libraries.has(event.libraryId) && !this.trainingLibrary.has(event.trainingId)) {
          let of = this.trainings.get(event.libraryId);
          if (!of) this.trainings.set(event.libraryId, (of = new Map()));
          of.set(event.trainingId, { ...event, seq });
          this.trainingLibrary.set(event.trainingId, event.libraryId);
        }
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
      case "policy.decision":
        if (this.libraries.has(event.libraryId)) this.decisions.set(event.libraryId, event);
        break;
      case "migration.completed":
      case "migration.failed":
      case "migration.cancelled":
        this.finishMigration(event, seq);
        break;
      case "recall.measured": {
        const latest = this.recalls.get(event.libraryId);
        const newer = !latest || event.measuredAtMs >= latest.measuredAtMs;
        if (this.libraries.has(event.libraryId) && newer) this.recalls.set(event.libraryId, event);
        break;
      }
      default:
    }
    this.wake();
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

  private wake(): void {
    if (this.waiters.length === 0) return;
    const still = [];
    for (const w of this.waiters) {
      if (w.seq <= this.seq) w.resolve(true);
      else still.push(w);
    }
    this.waiters = still;
  }
}

/** A library's data partitions (events before `partitions` existed: one). */
export function partitionsOf(library: LibraryRecord): number {
  return library.partitions ?? 1;
}
