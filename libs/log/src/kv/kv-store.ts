import { LogError, LogErrorCode } from "../errors.js";

/** A key's current value. */
export interface KvEntry {
  key: string;
  value: Uint8Array;
  /** Increases with every change of the store (any key): later changes have higher revisions. */
  revision: number;
}

/** One change, as a watch delivers it. */
export type KvChange =
  | { op: "put"; key: string; value: Uint8Array; revision: number }
  | { op: "delete"; key: string; revision: number };

/** Live delivery of the changes under a prefix, in revision order (one iteration). */
export interface KvWatch extends AsyncIterable<KvChange> {
  /** Ends delivery: the iteration finishes. */
  stop(): Promise<void>;
}

export interface KvPutOptions {
  /**
   * Writes only if the key's current revision is this one (0: only if the key has no value), else
   * fails with KV_CONFLICT: of two writers that read the same revision, one wins.
   */
  previousRevision?: number;
}

/**
 * A small durable key-value store for last-value facts and snapshots (one value per key, no
 * history). Keys are dot-separated tokens of `[-/_=a-zA-Z0-9]` (NATS KV's rule), e.g.
 * `lib.lib_1f.recall`; a prefix is empty or ends with a dot, so that it selects whole tokens.
 * Implementations: JetStreamKv (a NATS JetStream KV bucket) and LmdbKv (embedded), which pass one
 * conformance suite.
 */
export interface KvStore {
  /** The key's value, undefined when it has none. */
  get(key: string): Promise<KvEntry | undefined>;
  /** Writes the value; resolves with the change's revision once it is durable. */
  put(key: string, value: Uint8Array, options?: KvPutOptions): Promise<number>;
  /** Removes the key's value (nothing when it has none). */
  delete(key: string): Promise<void>;
  /** The keys under `prefix` that have a value, sorted by key. */
  list(prefix: string): Promise<KvEntry[]>;
  /**
   * The changes under `prefix` made after the returned promise resolves. A reader that wants the
   * current values and then the changes starts the watch first and lists next: every change is
   * either in the listing or delivered by the watch (some may be in both).
   */
  watch(prefix: string): Promise<KvWatch>;
  /** Stops the watches; the store's connection (if shared) stays open. */
  close(): Promise<void>;
}

const TOKEN = "[-/_=a-zA-Z0-9]+";
const KEY = new RegExp(`^${TOKEN}(\\.${TOKEN})*$`);
const PREFIX = new RegExp(`^(${TOKEN}\\.)*$`);

export function checkKey(key: string): void {
  if (typeof key !== "string" || !KEY.test(key)) {
    throw new LogError(
      LogErrorCode.InvalidArgument,
      `invalid KV key ${JSON.stringify(key)}: dot-separated tokens of letters, digits and -/_=`,
    );
  }
}

export function checkPrefix(prefix: string): void {
  if (typeof prefix !== "string" || !PREFIX.test(prefix)) {
    throw new LogError(
      LogErrorCode.InvalidArgument,
      `invalid KV prefix ${JSON.stringify(prefix)}: empty, or whole tokens ending with a dot`,
    );
  }
}

export function conflict(key: string, expected: number, actual?: number): LogError {
  const now = actual === undefined ? "has changed" : `is at revision ${actual}`;
  return new LogError(
    LogErrorCode.KvConflict,
    `KV key ${key} ${now}: the write expected revision ${expected}`,
  );
}

/** An unbounded queue read as an async iterable (one reader). */
export class ChangeQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private wake: (() => void) | undefined;
  private ended = false;

  push(item: T): void {
    if (this.ended) return;
    this.items.push(item);
    this.wake?.();
  }

  /** Ends the iteration; what was not read yet is dropped. */
  end(): void {
    this.ended = true;
    this.items.length = 0;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      const item = this.items.shift();
      if (item !== undefined) {
        yield item;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}
