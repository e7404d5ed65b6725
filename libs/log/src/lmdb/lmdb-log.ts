import { BroadcastChannel } from "node:worker_threads";
import { open, type Database, type RootDatabase } from "lmdb";
import { checkAppend, LogError, LogErrorCode } from "../errors.js";
import {
  type AppendResult,
  DEFAULT_DUPLICATE_WINDOW_MS,
  type EventLog,
  type LogEntry,
  type LogSubscription,
  READ_MAX_BYTES,
} from "../event-log.js";

interface StoredEntry {
  id: string;
  ts: number;
  d: Uint8Array;
}

interface StoredMsgId {
  p: number;
  s: number;
  ts: number;
}

export interface LmdbLogOptions {
  /** Directory of the log's LMDB environment. */
  path: string;
  duplicateWindowMs?: number;
  /**
   * A reader of a log that another LmdbLog of this process (another thread) writes: it reads and
   * subscribes, and refuses appends. Open readers and the writer with the same `path` string.
   */
  readOnly?: boolean;
}

const PRUNE_EVERY = 1024;

interface SubscriptionState {
  stopped: boolean;
  wakeUp?: () => void;
}

/**
 * The embedded event log: an append-only LMDB environment with JetStream's semantics, so that
 * embedded mode runs the same code above the log interface. Sequences are global (like a stream's)
 * and keys are [partition, seq]; message ids are remembered for the duplicate window. An append
 * resolves after its transaction is flushed to disk, and concurrent appends share a commit.
 * One process owns the log, and one instance in it writes; readers in other threads of the same
 * process learn of appends through a BroadcastChannel named after the path.
 */
export class LmdbLog implements EventLog {
  private seq: number;
  private appendsSincePrune = 0;
  private closed = false;
  private readonly inFlight = new Map<string, Promise<AppendResult>>();
  private readonly waiters = new Map<number, Set<() => void>>();
  /** Appends announced to the other instances of this process (threads): the partition. */
  private readonly appended: BroadcastChannel;

  private constructor(
    private readonly env: RootDatabase,
    private readonly entries: Database<StoredEntry, [number, number]>,
    private readonly msgIds: Database<StoredMsgId, string>,
    private readonly byTime: Database<number, [number, string]>,
    private readonly meta: Database<number, string>,
    private readonly windowMs: number,
    path: string,
    private readonly readOnly: boolean,
  ) {
    this.seq = meta.get("seq") ?? 0;
    this.appended = new BroadcastChannel(`quiver-lmdb-log:${path}`);
    this.appended.onmessage = (message) => this.wake((message as { data: number }).data);
    // Kept alive only while a subscription waits for appends (as a consumer's socket would be).
    this.appended.unref();
  }

  static open(options: LmdbLogOptions): LmdbLog {
    const env = open({ path: options.path, maxDbs: 8 });
    return new LmdbLog(
      env,
      env.openDB<StoredEntry, [number, number]>({ name: "entries" }),
      env.openDB<StoredMsgId, string>({ name: "msg-ids" }),
      env.openDB<number, [number, string]>({ name: "msg-ids-by-time" }),
      env.openDB<number, string>({ name: "meta" }),
      options.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS,
      options.path,
      options.readOnly ?? false,
    );
  }

  async append(partition: number, data: Uint8Array, msgId: string): Promise<AppendResult> {
    checkAppend(partition, msgId);
    this.checkOpen();
    if (this.readOnly) {
      throw new LogError(LogErrorCode.ReadOnly, "this log instance only reads (another writes)");
    }
    const pending = this.inFlight.get(msgId);
    if (pending) return { seq: (await pending).seq, duplicate: true };
    const known = this.msgIds.get(msgId);
    if (known && Date.now() - known.ts <= this.windowMs) {
      await this.env.flushed;
      return { seq: known.s, duplicate: true };
    }
    const write = this.write(partition, data, msgId);
    this.inFlight.set(msgId, write);
    try {
      return await write;
    } finally {
      this.inFlight.delete(msgId);
    }
  }

  private async write(partition: number, data: Uint8Array, msgId: string): Promise<AppendResult> {
    // Sequences are taken in call order, and lmdb-js commits asynchronous transactions in order.
    const seq = ++this.seq;
    const ts = Date.now();
    await this.env.transaction(() => {
      this.entries.putSync([partition, seq], { id: msgId, ts, d: data });
      this.msgIds.putSync(msgId, { p: partition, s: seq, ts });
      this.byTime.putSync([ts, msgId], seq);
      this.meta.putSync("seq", seq);
    });
    await this.env.flushed;
    this.wake(partition);
    this.appended.postMessage(partition);
    if (++this.appendsSincePrune >= PRUNE_EVERY) this.pruneMsgIds(ts - this.windowMs);
    return { seq, duplicate: false };
  }

  async read(partition: number, fromSeq: number, limit: number): Promise<LogEntry[]> {
    this.checkOpen();
    return this.readSync(partition, fromSeq, limit);
  }

  private readSync(partition: number, fromSeq: number, limit: number): LogEntry[] {
    const out: LogEntry[] = [];
    let bytes = 0;
    for (const { key, value } of this.entries.getRange({
      start: [partition, fromSeq],
      end: [partition + 1],
      limit,
    })) {
      if (out.length > 0 && bytes + value.d.byteLength > READ_MAX_BYTES) break;
      bytes += value.d.byteLength;
      // Copied: buffers decoded from LMDB may share memory that the next read reuses.
      out.push({
        partition,
        seq: key[1],
        msgId: value.id,
        data: Uint8Array.prototype.slice.call(value.d),
        timestampMs: value.ts,
      });
    }
    return out;
  }

  subscribe(partition: number, fromSeq: number): LogSubscription {
    this.checkOpen();
    const state: SubscriptionState = { stopped: false };
    return {
      [Symbol.asyncIterator]: () => this.entriesFrom(partition, fromSeq, state),
      stop: async () => {
        state.stopped = true;
        if (state.wakeUp) this.removeWaiter(partition, state.wakeUp);
        state.wakeUp?.();
      },
    };
  }

  private async *entriesFrom(
    partition: number,
    fromSeq: number,
    state: SubscriptionState,
  ): AsyncGenerator<LogEntry> {
    let next = fromSeq;
    while (!state.stopped && !this.closed) {
      const batch = this.readSync(partition, next, 1000);
      if (batch.length === 0) {
        // No await between the read and the registration: an append cannot slip in between.
        await new Promise<void>((resolve) => {
          state.wakeUp = resolve;
          this.addWaiter(partition, resolve);
        });
        // lmdb-js renews its read snapshot on the next event turn; an append by another thread
        // can wake us first, and a stale snapshot would not show it
        if (!this.closed) this.env.resetReadTxn();
        continue;
      }
      for (const entry of batch) {
        if (state.stopped) return;
        next = entry.seq + 1;
        yield entry;
      }
    }
  }

  async lastSeq(partition: number): Promise<number> {
    this.checkOpen();
    for (const key of this.entries.getKeys({
      start: [partition + 1],
      end: [partition],
      reverse: true,
      limit: 1,
    })) {
      return key[1];
    }
    return 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.appended.close();
    for (const set of this.waiters.values()) for (const wake of set) wake();
    this.waiters.clear();
    await this.env.flushed;
    await this.env.close();
  }

  private addWaiter(partition: number, wake: () => void): void {
    let set = this.waiters.get(partition);
    if (!set) this.waiters.set(partition, (set = new Set()));
    set.add(wake);
    this.appended.ref();
  }

  private removeWaiter(partition: number, wake: () => void): void {
    const set = this.waiters.get(partition);
    if (!set?.delete(wake)) return;
    if (set.size === 0) this.waiters.delete(partition);
    if (this.waiters.size === 0) this.appended.unref();
  }

  private wake(partition: number): void {
    const set = this.waiters.get(partition);
    if (!set) return;
    this.waiters.delete(partition);
    if (this.waiters.size === 0) this.appended.unref();
    for (const wake of set) wake();
  }

  /** Forgets message ids older than the duplicate window (JetStream forgets them too). */
  private pruneMsgIds(olderThanMs: number): void {
    this.appendsSincePrune = 0;
    const old = [...this.byTime.getRange({ end: [olderThanMs] })];
    if (old.length === 0) return;
    void this.env.transaction(() => {
      for (const { key } of old) {
        const id = this.msgIds.get(key[1]);
        if (id && id.ts === key[0]) this.msgIds.removeSync(key[1]);
        this.byTime.removeSync(key);
      }
    });
  }

  private checkOpen(): void {
    if (this.closed) throw new LogError(LogErrorCode.Closed, "the log is closed");
  }
}
