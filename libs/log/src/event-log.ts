/** One event in the log. */
export interface LogEntry {
  partition: number;
  /** Position in the log: strictly increasing within a partition, not necessarily contiguous. */
  seq: number;
  /** The id the event was appended with (retries with the same id are deduplicated). */
  msgId: string;
  data: Uint8Array;
  timestampMs: number;
}

export interface AppendResult {
  seq: number;
  /** True when an event with the same msgId was already in the log (its seq is returned). */
  duplicate: boolean;
}

/** Non-fatal states of a subscription, reported as they happen. */
export type LogStatus =
  | { type: "disconnected" }
  | { type: "reconnected" }
  /** The subscription was re-created (e.g. after a server restart) and resumes at fromSeq. */
  | { type: "resubscribed"; fromSeq: number };

/** Live, ordered delivery of one partition's entries from a sequence on. */
export interface LogSubscription extends AsyncIterable<LogEntry> {
  /** Ends delivery: the iteration finishes. */
  stop(): Promise<void>;
}

export interface SubscribeOptions {
  onStatus?: (status: LogStatus) => void;
}

/**
 * The event log, source of truth of the cluster (brief §4): ordered per partition, durable before
 * an append resolves, deduplicated by message id within a window, replayable from any sequence.
 * Implementations: JetStreamLog (NATS JetStream) and LmdbLog (embedded), which pass one
 * conformance suite.
 */
export interface EventLog {
  /** Appends `data` to `partition`; resolves once the event is durable. */
  append(partition: number, data: Uint8Array, msgId: string): Promise<AppendResult>;
  /**
   * Up to `limit` entries of `partition` with seq >= fromSeq, in order, and no more than about
   * READ_MAX_BYTES of them (at least one when there is one): a reader that wants more reads on
   * from the last entry's seq + 1.
   */
  read(partition: number, fromSeq: number, limit: number): Promise<LogEntry[]>;
  /** Entries of `partition` with seq >= fromSeq, then the new ones as they are appended. */
  subscribe(partition: number, fromSeq: number, options?: SubscribeOptions): LogSubscription;
  /** The seq of the last entry of `partition`, 0 when it has none. */
  lastSeq(partition: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * Bytes of entries one read answers, at most (a single larger entry comes alone). A thousand
 * upsert events are a quarter of a GiB: read at once they would be copied in one go on the
 * reader's thread and held until the last was applied.
 */
export const READ_MAX_BYTES = 4 * 1024 * 1024;

/** Default duplicate window, as JetStream's: two minutes. */
export const DEFAULT_DUPLICATE_WINDOW_MS = 120_000;

/** What a consumer of the log needs: reads and subscriptions, no appends (a shard's workers). */
export type EventLogReader = Pick<EventLog, "read" | "subscribe" | "lastSeq" | "close">;
