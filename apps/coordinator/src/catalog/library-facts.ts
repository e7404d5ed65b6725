import type { PolicyDecision, QuiverEvent, RecallMeasured } from "@quiver/events";
import { BENCHMARK_KINDS } from "@quiver/cluster";
import { isLogError, type KvChange, type KvStore, type KvWatch, LogErrorCode } from "@quiver/log";
import type { Logger } from "@quiver/telemetry";
import {
  decodeFact,
  encodeFact,
  FACTS_PREFIX,
  type Fact,
  factOfEvent,
  keyOf,
  libraryOfKey,
  libraryPrefix,
  type MigrationProgressFact,
  rank,
  readableFact,
} from "./fact-codec.js";

/** Writes of one fact raced by other writers before giving up. */
const STORE_ATTEMPTS = 5;
/** Facts of earlier versions' events written to the store at a time. */
const FLUSH_CONCURRENCY = 16;

/**
 * Last-value facts about libraries, kept in the KV store (one key each, no history) rather than in
 * the catalog partition, so that a start reads one value per fact instead of every measurement
 * ever made. Every coordinator holds them all: it lists them at start and watches for changes;
 * a writer also updates its own view at once. Views merge by the facts' own order (the newest
 * measurement or decision, the furthest progress), so that the order in which the listing, the
 * watch and a coordinator's own writes arrive does not matter. A deleted library's facts leave
 * the store: the deleting coordinator removes them, a write that raced the deletion removes its
 * own, and a start sweeps those a crash left behind.
 */
export class LibraryFacts {
  private readonly recalls = new Map<string, RecallMeasured>();
  private readonly decisions = new Map<string, PolicyDecision>();
  private readonly progresses = new Map<string, MigrationProgressFact>();
  /** Facts taken from catalog events of earlier versions, not yet in the store, by key. */
  private readonly adopted = new Map<string, Fact>();
  /** The keys the listing at start held, by library, until the sweep. */
  private listed = new Map<string, string[]>();
  private watch: KvWatch | undefined;
  private following: Promise<void> | undefined;
  /** Changes the watch delivered while the listing was read (applied after it). */
  private pending: KvChange[] | undefined;

  /** `isLibrary` answers whether the catalog holds a library (not deleted). */
  constructor(
    private readonly kv: KvStore,
    private readonly logger: Logger,
    private readonly isLibrary: (libraryId: string) => boolean,
  ) {}

  /** Loads every fact, then follows the changes. Answers how many facts it loaded. */
  async start(): Promise<number> {
    this.pending = [];
    const watch = await this.kv.watch(FACTS_PREFIX);
    this.watch = watch;
    this.following = (async () => {
      try {
        for await (const change of watch) {
          if (this.pending) this.pending.push(change);
          else this.change(change);
        }
      } catch (error) {
        this.logger.error({ err: error }, "the catalog stopped following the library facts");
      }
    })();
    const entries = await this.kv.list(FACTS_PREFIX);
    let facts = 0;
    for (const e of entries) {
      if (this.change({ op: "put", ...e })) facts++;
      // the sweep removes every key of a deleted library, its benchmark jobs included
      const libraryId = libraryOfKey(e.key);
      this.listed.set(libraryId, [...(this.listed.get(libraryId) ?? []), e.key]);
    }
    const pending = this.pending;
    this.pending = undefined;
    for (const change of pending) this.change(change);
    return facts;
  }

  async stop(): Promise<void> {
    await this.watch?.stop();
    await this.following;
  }

  recall(libraryId: string): RecallMeasured | undefined {
    return this.recalls.get(libraryId);
  }

  allRecalls(): RecallMeasured[] {
    return [...this.recalls.values()];
  }

  decision(libraryId: string): PolicyDecision | undefined {
    return this.decisions.get(libraryId);
  }

  progress(migrationId: string): MigrationProgressFact | undefined {
    return this.progresses.get(migrationId);
  }

  /** Records a recall measurement (durable when it resolves). */
  async putRecall(measured: RecallMeasured): Promise<void> {
    await this.put({ kind: "recall", libraryId: measured.libraryId, value: measured });
  }

  /** Records a policy decision (durable when it resolves). */
  async putDecision(decision: PolicyDecision): Promise<void> {
    await this.put({ kind: "decision", libraryId: decision.libraryId, value: decision });
  }

  /** Records how far a migration was shown: this view has it at once, the store when it resolves. */
  putProgress(fact: MigrationProgressFact): Promise<void> {
    const { libraryId, migrationId } = fact;
    return this.put({ kind: "progress", libraryId, migrationId, value: fact });
  }

  /** Forgets a deleted library's facts in this view (the store keeps them until forgetLibrary). */
  dropLibrary(libraryId: string): void {
    this.recalls.delete(libraryId);
    this.decisions.delete(libraryId);
    for (const [id, p] of this.progresses)
      if (p.libraryId === libraryId) this.progresses.delete(id);
    for (const [key, f] of this.adopted) if (f.libraryId === libraryId) this.adopted.delete(key);
  }

  /** Removes a deleted library's facts from the store and this view. */
  async forgetLibrary(libraryId: string): Promise<void> {
    this.dropLibrary(libraryId);
    for (const e of await this.kv.list(libraryPrefix(libraryId))) await this.kv.delete(e.key);
  }

  /**
   * Removes from the store the facts, listed at start, of libraries the catalog no longer holds
   * (deleted while their facts stayed: a coordinator stopped between the two). Answers how many
   * libraries it cleaned; run once the catalog has caught up.
   */
  async sweep(): Promise<number> {
    const gone = [...this.listed].filter(([libraryId]) => !this.isLibrary(libraryId));
    this.listed = new Map();
    for (const [libraryId, keys] of gone) {
      this.dropLibrary(libraryId);
      for (const key of keys) await this.kv.delete(key);
    }
    return gone.length;
  }

  /**
   * Takes a fact from a catalog event of an earlier version (recall.measured, policy.decision
   * were appended to the catalog partition); flushAdopted writes the newest of them to the store.
   */
  adoptEvent(event: QuiverEvent): void {
    const fact = factOfEvent(event);
    if (fact && this.merge(fact, true)) this.adopted.set(keyOf(fact), fact);
  }

  /**
   * Writes the facts adopted from events to the store (unless it holds newer ones); resolves
   * true when none is left to write, rejects with the first failure (the failed stay adopted).
   */
  async flushAdopted(): Promise<boolean> {
    const facts = [...this.adopted];
    let next = 0;
    const writer = async () => {
      while (next < facts.length) {
        const [key, fact] = facts[next++];
        await this.store(fact);
        if (this.adopted.get(key) === fact) this.adopted.delete(key);
      }
    };
    await Promise.all(Array.from({ length: FLUSH_CONCURRENCY }, writer));
    return this.adopted.size === 0;
  }

  private async put(fact: Fact): Promise<void> {
    if (!this.isLibrary(fact.libraryId)) return;
    this.merge(fact);
    await this.store(fact);
    // the library was deleted while this was written: the fact must not outlive it
    if (!this.isLibrary(fact.libraryId)) await this.forgetLibrary(fact.libraryId);
  }

  /**
   * Writes `fact` unless the store holds a newer one (which this view then takes): a write made
   * on the revision read, again when another writer came between.
   */
  private async store(fact: Fact): Promise<void> {
    const key = keyOf(fact);
    for (let attempt = 1; ; attempt++) {
      const current = await this.kv.get(key);
      const stored = current && readableFact(key, current.value);
      if (stored && rank(stored) > rank(fact)) {
        this.merge(stored);
        return;
      }
      try {
        await this.kv.put(key, encodeFact(fact), { previousRevision: current?.revision ?? 0 });
        return;
      } catch (error) {
        if (!isLogError(error, LogErrorCode.KvConflict) || attempt >= STORE_ATTEMPTS) throw error;
      }
    }
  }

  /** Takes a change of the store into this view; answers whether it was a fact's value. */
  private change(change: KvChange): boolean {
    const [, libraryId, kind, migrationId] = change.key.split(".");
    // benchmark jobs share the library's keys (and go with it) but are no facts: read on demand
    if (BENCHMARK_KINDS.has(kind)) return false;
    if (change.op === "delete") {
      if (kind === "recall") this.recalls.delete(libraryId);
      else if (kind === "decision") this.decisions.delete(libraryId);
      else if (kind === "progress") this.progresses.delete(migrationId);
      return false;
    }
    try {
      const fact = decodeFact(change.key, change.value);
      if (fact) this.merge(fact);
      else this.logger.warn({ key: change.key }, "a library fact of an unknown kind was ignored");
      return fact !== undefined;
    } catch (error) {
      this.logger.warn({ key: change.key, err: error }, "a library fact cannot be decoded");
      return false;
    }
  }

  /**
   * Keeps `fact` unless this view has a newer (further) one, or, when `strictly`, one as new;
   * answers whether it did.
   */
  private merge(fact: Fact, strictly = false): boolean {
    const known = this.known(fact);
    if (known && (strictly ? rank(fact) <= rank(known) : rank(fact) < rank(known))) return false;
    if (fact.kind === "recall") this.recalls.set(fact.libraryId, fact.value);
    else if (fact.kind === "decision") this.decisions.set(fact.libraryId, fact.value);
    else this.progresses.set(fact.migrationId, fact.value);
    return true;
  }

  private known(fact: Fact): Fact | undefined {
    const { kind, libraryId } = fact;
    if (kind === "recall") {
      const value = this.recalls.get(libraryId);
      return value && { kind, libraryId, value };
    }
    if (kind === "decision") {
      const value = this.decisions.get(libraryId);
      return value && { kind, libraryId, value };
    }
    const value = this.progresses.get(fact.migrationId);
    return value && { kind, libraryId, migrationId: fact.migrationId, value };
  }
}
