import { open, type Database, type RootDatabase } from "lmdb";
import { LogError, LogErrorCode } from "../errors.js";
import {
  ChangeQueue,
  checkKey,
  checkPrefix,
  conflict,
  type KvChange,
  type KvEntry,
  type KvPutOptions,
  type KvStore,
  type KvWatch,
} from "./kv-store.js";

interface StoredValue {
  /** Revision of the write. */
  r: number;
  v: Uint8Array;
}

export interface LmdbKvOptions {
  /** Directory of the store's LMDB environment. */
  path: string;
}

/** What a write does, decided inside its transaction. */
interface Decision {
  write?: (revision: number) => void;
  conflictAt?: number;
}

interface Watcher {
  prefix: string;
  queue: ChangeQueue<KvChange>;
}

/**
 * The embedded KV store: an LMDB environment of its own, one record per key with the revision of
 * its last write, and a revision counter, written in the same transaction. A write resolves once
 * it is flushed to disk; concurrent writes share a commit. Watches are in-process (one process
 * owns the store, as it owns the embedded log) and see changes in revision order once durable.
 */
export class LmdbKv implements KvStore {
  private revision: number;
  private closed = false;
  private readonly watchers = new Set<Watcher>();
  /** Durable changes not yet delivered because an earlier revision is still committing. */
  private readonly committed = new Map<number, KvChange | null>();
  private delivered: number;

  private constructor(
    private readonly env: RootDatabase,
    private readonly values: Database<StoredValue, string>,
    private readonly meta: Database<number, string>,
  ) {
    this.revision = meta.get("revision") ?? 0;
    this.delivered = this.revision;
  }

  static open(options: LmdbKvOptions): LmdbKv {
    const env = open({ path: options.path, maxDbs: 4 });
    return new LmdbKv(
      env,
      env.openDB<StoredValue, string>({ name: "values" }),
      env.openDB<number, string>({ name: "meta" }),
    );
  }

  async get(key: string): Promise<KvEntry | undefined> {
    checkKey(key);
    this.checkOpen();
    const stored = this.values.get(key);
    return stored && entryOf(key, stored);
  }

  async put(key: string, value: Uint8Array, options: KvPutOptions = {}): Promise<number> {
    checkKey(key);
    this.checkOpen();
    const data = Uint8Array.prototype.slice.call(value);
    const expected = options.previousRevision;
    const outcome = await this.write(
      (): Decision => {
        const current = this.values.get(key)?.r ?? 0;
        if (expected !== undefined && current !== expected) return { conflictAt: current };
        return { write: (r) => this.values.putSync(key, { r, v: data }) };
      },
      (revision) => ({ op: "put", key, value: data, revision }),
    );
    if ("conflictAt" in outcome) throw conflict(key, expected ?? 0, outcome.conflictAt);
    return outcome.revision;
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    this.checkOpen();
    await this.write(
      (): Decision => (this.values.get(key) ? { write: () => this.values.removeSync(key) } : {}),
      (revision) => ({ op: "delete", key, revision }),
    );
  }

  async list(prefix: string): Promise<KvEntry[]> {
    checkPrefix(prefix);
    this.checkOpen();
    const out: KvEntry[] = [];
    for (const { key, value } of this.values.getRange({ start: prefix })) {
      if (!key.startsWith(prefix)) break;
      out.push(entryOf(key, value));
    }
    return out;
  }

  async watch(prefix: string): Promise<KvWatch> {
    checkPrefix(prefix);
    this.checkOpen();
    const watcher: Watcher = { prefix, queue: new ChangeQueue() };
    this.watchers.add(watcher);
    const changes = watcher.queue[Symbol.asyncIterator]();
    return {
      [Symbol.asyncIterator]: () => changes,
      stop: async () => {
        this.watchers.delete(watcher);
        watcher.queue.end();
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.watchers) w.queue.end();
    this.watchers.clear();
    await this.env.flushed;
    await this.env.close();
  }

  /**
   * One write transaction: `decide` looks at the current state inside it and answers what to
   * write (under the next revision), a conflict, or nothing ({}); the change is delivered to the
   * watches once durable, after every earlier revision.
   */
  private async write(
    decide: () => Decision,
    change: (revision: number) => KvChange,
  ): Promise<{ revision: number } | { conflictAt: number }> {
    let revision = 0;
    let conflictAt: number | undefined;
    try {
      await this.env.transaction(() => {
        const decided = decide();
        if (decided.write) {
          revision = ++this.revision;
          decided.write(revision);
          this.meta.putSync("revision", revision);
        }
        conflictAt = decided.conflictAt;
      });
      await this.env.flushed;
    } catch (error) {
      if (revision > 0) this.deliver(revision, null);
      throw new LogError(LogErrorCode.Unavailable, `KV write failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (conflictAt !== undefined) return { conflictAt };
    if (revision > 0) this.deliver(revision, change(revision));
    return { revision };
  }

  private deliver(revision: number, change: KvChange | null): void {
    this.committed.set(revision, change);
    for (;;) {
      const next = this.committed.get(this.delivered + 1);
      if (next === undefined) return;
      this.committed.delete(++this.delivered);
      if (!next) continue;
      for (const w of this.watchers) if (next.key.startsWith(w.prefix)) w.queue.push(next);
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new LogError(LogErrorCode.Closed, "the KV store is closed");
  }
}

function entryOf(key: string, stored: StoredValue): KvEntry {
  // Copied: buffers decoded from LMDB may share memory that the next read reuses.
  return { key, value: Uint8Array.prototype.slice.call(stored.v), revision: stored.r };
}
