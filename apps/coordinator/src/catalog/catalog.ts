import {
  CATALOG_PARTITION,
  decodeEvent,
  type LibraryRecord,
  type LibraryTrained,
  type PolicyDecision,
  type QuiverEvent,
  type RecallMeasured,
} from "@quiver/events";
import type { EventLog, KvStore, LogSubscription } from "@quiver/log";
import { type Logger, silentLogger } from "@quiver/telemetry";
import { CatalogSnapshotStore, encodeSnapshot } from "./catalog-snapshot.js";
import { CatalogState, type CatalogStateData, type MigrationRecord } from "./catalog-state.js";
import { LibraryFacts } from "./library-facts.js";
import { SnapshotWriter } from "./snapshot-writer.js";

export type { MigrationRecord } from "./catalog-state.js";

/** The JetStream KV bucket of the catalog's snapshot and the library facts, in a cluster. */
export { CATALOG_BUCKET } from "@quiver/cluster";

export interface CatalogOptions {
  /** A snapshot once this many catalog events have been applied since the last (1,000). */
  snapshotEveryEvents?: number;
  /** A snapshot at least this often while events arrive (60 s). */
  snapshotIntervalMs?: number;
}

/** How long a stop waits for its snapshot: a SIGTERM ends the process within seconds. */
const STOP_SNAPSHOT_MS = 5_000;

/** What a start read. */
export interface CatalogStartInfo {
  /** The seq of the snapshot it started from (0: none, the whole catalog was replayed). */
  snapshotSeq: number;
  /** Catalog events replayed after the snapshot. */
  replayed: number;
  /** Library facts loaded from the KV store. */
  facts: number;
  libraries: number;
  ms: number;
}

/**
 * The libraries, as the catalog partition of the log records them, with the last-value facts
 * about them (recall, policy decisions, migration progress) from the KV store. Every coordinator
 * keeps this view: at start it loads the latest snapshot from the KV store and follows the catalog
 * from the snapshot's seq on (through one subscription), and it writes a snapshot every 1,000
 * events or 60 s and when it stops. A coordinator that appends a library event waits until its
 * view has it, so its next request sees the change.
 */
export class Catalog {
  private state = new CatalogState();
  /** The facts; writers (probe, policy, migrations) record theirs here. */
  readonly facts: LibraryFacts;
  private readonly snapshots: CatalogSnapshotStore;
  private readonly writer: SnapshotWriter;
  /** Caught up with the catalog once (past the start). */
  private live = false;
  /** The start's clean-up of facts that deleted libraries left in the store. */
  private sweeping: Promise<unknown> | undefined;
  private waiters: { seq: number; resolve: (ok: boolean) => void }[] = [];
  private subscription: LogSubscription | undefined;
  private following: Promise<void> | undefined;
  private readonly logger: Logger;

  constructor(
    private readonly log: EventLog,
    kv: KvStore,
    logger?: Logger,
    options: CatalogOptions = {},
  ) {
    this.logger = (logger ?? silentLogger()).child({ component: "catalog" });
    this.facts = new LibraryFacts(kv, this.logger, (id) => this.state.get(id) !== undefined);
    this.snapshots = new CatalogSnapshotStore(kv);
    this.writer = new SnapshotWriter(
      this.snapshots,
      {
        seq: () => this.state.seq,
        encode: () => encodeSnapshot(this.state.data()),
        prepare: () => this.facts.flushAdopted(),
      },
      this.logger,
      {
        everyEvents: options.snapshotEveryEvents ?? 1000,
        intervalMs: options.snapshotIntervalMs ?? 60_000,
      },
    );
  }

  /** Loads the facts and the latest snapshot, reads the catalog's tail up to its end, then follows it. */
  async start(): Promise<CatalogStartInfo> {
    const started = performance.now();
    const facts = await this.facts.start();
    const last = await this.log.lastSeq(CATALOG_PARTITION);
    await this.restore(last);
    const from = this.state.seq;
    let replayed = 0;
    await this.follow(last, () => replayed++);
    this.live = true;
    await this.facts.flushAdopted().catch((error: unknown) =>
      // they stay in this view; the next snapshot waits until they are in the store
      this.logger.warn({ err: error }, "facts of earlier versions' events not in KV yet"),
    );
    this.writer.start();
    this.sweeping = this.facts
      .sweep()
      .then(
        (n) => n > 0 && this.logger.info({ libraries: n }, "facts of deleted libraries removed"),
      )
      .catch((error: unknown) =>
        this.logger.warn({ err: error }, "facts of deleted libraries stay"),
      );
    const info: CatalogStartInfo = {
      snapshotSeq: from,
      replayed,
      facts,
      libraries: this.state.all().length,
      ms: Math.round(performance.now() - started),
    };
    this.logger.info(info, "catalog loaded");
    return info;
  }

  get appliedSeq(): number {
    return this.state.seq;
  }

  get(libraryId: string): LibraryRecord | undefined {
    return this.state.get(libraryId);
  }

  list(tenantId: string): LibraryRecord[] {
    return this.state
      .all()
      .filter((l) => l.tenantId === tenantId)
      .sort((a, b) => a.createdAtMs - b.createdAtMs || a.name.localeCompare(b.name));
  }

  byName(tenantId: string, name: string): LibraryRecord | undefined {
    return this.state.all().find((l) => l.tenantId === tenantId && l.name === name);
  }

  /** All libraries, of every tenant. */
  all(): LibraryRecord[] {
    return this.state.all();
  }

  migration(migrationId: string): MigrationRecord | undefined {
    return this.state.migration(migrationId);
  }

  /** A library's migrations, oldest first. */
  migrationsOf(libraryId: string): MigrationRecord[] {
    return this.state.migrationsOf(libraryId);
  }

  /** The adaptive policy's latest decision for a library. */
  lastDecision(libraryId: string): PolicyDecision | undefined {
    return this.state.get(libraryId) ? this.facts.decision(libraryId) : undefined;
  }

  /** The library's migration in progress, if any (one at a time). */
  activeMigration(libraryId: string): MigrationRecord | undefined {
    return this.state.activeMigration(libraryId);
  }

  /** Migrations still in progress, of every library. */
  activeMigrations(): MigrationRecord[] {
    return this.state.activeMigrations();
  }

  /** Whether training `trainingId` was published to its library's partitions. */
  trained(trainingId: string): boolean {
    return this.state.trained(trainingId);
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
    return this.state.currentTraining(library);
  }

  /** The latest recall probe measurement of a library, if it has one. */
  recall(libraryId: string): RecallMeasured | undefined {
    return this.state.get(libraryId) ? this.facts.recall(libraryId) : undefined;
  }

  /** The latest recall measurement of every library measured. */
  allRecalls(): RecallMeasured[] {
    return this.facts.allRecalls().filter((r) => this.state.get(r.libraryId));
  }

  /** The state a snapshot taken now would hold. */
  stateData(): CatalogStateData {
    return structuredClone(this.state.data());
  }

  /** Resolves true once the view includes catalog event `seq`. */
  waitFor(seq: number, timeoutMs: number): Promise<boolean> {
    if (this.state.seq >= seq) return Promise.resolve(true);
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

  /** Stops following; a clean stop leaves a snapshot of what it applied. */
  async stop(): Promise<void> {
    await this.subscription?.stop();
    await this.following;
    await this.writer.stop(STOP_SNAPSHOT_MS);
    await this.sweeping;
    await this.facts.stop();
    for (const w of this.waiters) w.resolve(false);
    this.waiters = [];
  }

  /** Starts from the latest snapshot, when there is one of this log. */
  private async restore(last: number): Promise<void> {
    try {
      const data = await this.snapshots.load();
      if (!data) return;
      if (data.seq > last) {
        this.logger.warn(
          { snapshotSeq: data.seq, lastSeq: last },
          "the catalog snapshot is ahead of the log (another log's): the whole catalog is replayed",
        );
        this.writer.replaceNext();
        return;
      }
      this.state = CatalogState.restore(data);
      this.writer.loaded(data.seq);
    } catch (error) {
      this.logger.warn(
        { err: error },
        "the catalog snapshot cannot be read: the whole catalog is replayed",
      );
      this.writer.replaceNext();
    }
  }

  /** Follows the catalog through one subscription; resolves once the view reached `last`. */
  private async follow(last: number, onEntry: () => void): Promise<void> {
    const subscription = this.log.subscribe(CATALOG_PARTITION, this.state.seq + 1);
    this.subscription = subscription;
    let caughtUp = () => {};
    const reached = new Promise<void>((resolve) => (caughtUp = resolve));
    if (this.state.seq >= last) caughtUp();
    this.following = (async () => {
      try {
        for await (const entry of subscription) {
          if (!this.live) onEntry();
          this.apply(entry.seq, entry.data);
          if (this.state.seq >= last) caughtUp();
        }
      } catch (error) {
        this.logger.error({ err: error }, "the catalog stopped following the log");
      }
    })();
    const ended = this.following.then(() => {
      if (this.state.seq < last)
        throw new Error(`the catalog's log ended at seq ${this.state.seq}, before ${last}`);
    });
    await Promise.race([reached, ended]);
  }

  private apply(seq: number, data: Uint8Array): void {
    if (seq <= this.state.seq) return;
    this.state.seq = seq;
    let event: QuiverEvent | undefined;
    try {
      event = decodeEvent(data);
    } catch (error) {
      this.logger.warn({ seq, err: error }, "catalog event skipped: it cannot be decoded");
    }
    if (event?.type === "recall.measured" || event?.type === "policy.decision") {
      // facts that earlier versions appended to the catalog: kept in the KV store from now on
      if (this.state.get(event.libraryId)) {
        this.facts.adoptEvent(event);
        if (this.live) void this.facts.flushAdopted().catch(() => undefined);
      }
    } else if (event) {
      this.state.apply(seq, event);
      if (event.type === "library.deleted") this.facts.dropLibrary(event.libraryId);
    }
    this.wake();
    this.writer.applied();
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const still = [];
    for (const w of this.waiters) {
      if (w.seq <= this.state.seq) w.resolve(true);
      else still.push(w);
    }
    this.waiters = still;
  }
}

/** A library's data partitions (events before `partitions` existed: one). */
export function partitionsOf(library: LibraryRecord): number {
  return library.partitions ?? 1;
}
