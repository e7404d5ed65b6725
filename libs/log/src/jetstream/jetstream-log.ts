import {
  type ConsumerMessages,
  DeliverPolicy,
  jetstream,
  type JetStreamClient,
  type JetStreamManager,
  jetstreamManager,
  type JsMsg,
  StorageType,
} from "@nats-io/jetstream";
import { connect, nanos, type NatsConnection } from "@nats-io/transport-node";
import { EVENT_STREAM, PARTITION_SUBJECTS, partitionSubject } from "@quiver/events";
import { checkAppend, LogError, LogErrorCode } from "../errors.js";
import {
  type AppendResult,
  DEFAULT_DUPLICATE_WINDOW_MS,
  type EventLog,
  type LogEntry,
  type LogSubscription,
  type SubscribeOptions,
  READ_MAX_BYTES,
} from "../event-log.js";

export interface JetStreamLogOptions {
  servers: string | string[];
  /** Stream replicas (3 in a production cluster; 1 on a single server). */
  replicas?: number;
  duplicateWindowMs?: number;
  streamName?: string;
  /** How long an append keeps retrying (same msgId) while the server is unreachable. */
  appendTimeoutMs?: number;
  /**
   * Creates the stream, or updates its config, on connect (default). A reader that only consumes
   * (a shard's worker threads) passes false and leaves the stream as its writers made it.
   */
  ensureStream?: boolean;
}

const MSG_ID_HEADER = "Nats-Msg-Id";

/**
 * The event log on NATS JetStream: one file-backed stream, a subject per partition, a duplicate
 * window for message ids. An append resolves on the PubAck, i.e. after the server stored the event
 * (Debian's nats-server 2.9.10 writes before acknowledging but fsyncs only every two minutes:
 * replicas, not fsync, protect against a machine crash). Reads and subscriptions use ordered
 * consumers, which the client re-creates from the last delivered sequence after a reconnect.
 */
export class JetStreamLog implements EventLog {
  private closed = false;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly stream: string,
    private readonly appendTimeoutMs: number,
  ) {}

  static async connect(options: JetStreamLogOptions): Promise<JetStreamLog> {
    const nc = await connect({
      servers: options.servers,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      waitOnFirstConnect: true,
    });
    const jsm = await jetstreamManager(nc);
    const stream = options.streamName ?? EVENT_STREAM;
    const config = {
      subjects: [PARTITION_SUBJECTS],
      storage: StorageType.File,
      num_replicas: options.replicas ?? 1,
      duplicate_window: nanos(options.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS),
    };
    if (options.ensureStream ?? true) {
      try {
        await jsm.streams.info(stream);
        await jsm.streams.update(stream, config);
      } catch {
        await jsm.streams.add({ name: stream, ...config });
      }
    }
    return new JetStreamLog(nc, jetstream(nc), jsm, stream, options.appendTimeoutMs ?? 60_000);
  }

  async append(partition: number, data: Uint8Array, msgId: string): Promise<AppendResult> {
    checkAppend(partition, msgId);
    this.checkOpen();
    // The same msgId makes a retry safe: the stream drops it if the first attempt landed.
    const ack = await this.retrying(`append to partition ${partition}`, () =>
      this.js.publish(partitionSubject(partition), data, {
        msgID: msgId,
        expect: { streamName: this.stream },
        timeout: 5_000,
      }),
    );
    return { seq: ack.seq, duplicate: ack.duplicate };
  }

  /**
   * Runs a JetStream request again while it fails (a server restarting, a leader election, a
   * timeout), with backoff, until it succeeds or appendTimeoutMs has passed.
   */
  private async retrying<T>(what: string, request: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.appendTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await request();
      } catch (error) {
        if (this.closed || Date.now() > deadline || isNotFound(error)) {
          if (isNotFound(error)) throw error;
          throw new LogError(
            LogErrorCode.Unavailable,
            `${what} failed: ${(error as Error).message}`,
            {
              cause: error,
            },
          );
        }
        await new Promise((r) => setTimeout(r, Math.min(1_000, 50 * 2 ** attempt)));
      }
    }
  }

  /** The NATS connection, shared with the process's other NATS clients (RPC, KV). */
  get connection(): NatsConnection {
    return this.nc;
  }

  async read(partition: number, fromSeq: number, limit: number): Promise<LogEntry[]> {
    this.checkOpen();
    const last = await this.lastSeq(partition);
    if (last < fromSeq || limit <= 0) return [];
    const messages = await this.orderedConsume(partition, fromSeq);
    const out: LogEntry[] = [];
    let bytes = 0;
    try {
      for await (const m of messages) {
        if (out.length > 0 && bytes + m.data.byteLength > READ_MAX_BYTES) break;
        bytes += m.data.byteLength;
        out.push(entryOf(partition, m));
        if (m.seq >= last || out.length >= limit) break;
      }
    } finally {
      await messages.close();
    }
    return out;
  }

  subscribe(partition: number, fromSeq: number, options: SubscribeOptions = {}): LogSubscription {
    this.checkOpen();
    const state: { stopped: boolean; messages?: ConsumerMessages } = { stopped: false };
    const entries = async function* (log: JetStreamLog): AsyncGenerator<LogEntry> {
      const messages = await log.orderedConsume(partition, fromSeq);
      state.messages = messages;
      // Stopped while the consumer was made: close() queues the end behind the messages and
      // resolves once an iteration reaches it, so the loop below runs it (yielding nothing).
      if (state.stopped) void messages.close();
      void watchStatus(messages, options);
      for await (const m of messages) if (!state.stopped) yield entryOf(partition, m);
    };
    return {
      [Symbol.asyncIterator]: () => entries(this),
      stop: async () => {
        state.stopped = true;
        await state.messages?.close();
      },
    };
  }

  async lastSeq(partition: number): Promise<number> {
    this.checkOpen();
    try {
      const m = await this.retrying(`last sequence of partition ${partition}`, () =>
        this.jsm.streams.getMessage(this.stream, { last_by_subj: partitionSubject(partition) }),
      );
      return m?.seq ?? 0;
    } catch (error) {
      if (isNotFound(error)) return 0;
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.nc.drain();
  }

  private async orderedConsume(partition: number, fromSeq: number): Promise<ConsumerMessages> {
    const consumer = await this.retrying(`reading partition ${partition}`, () =>
      this.js.consumers.get(this.stream, {
        // a single filter subject: nats-server 2.9 takes no list
        filter_subjects: partitionSubject(partition),
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: Math.max(1, fromSeq),
      }),
    );
    // Bounded by bytes, not messages: a thousand events of 1,000 vectors would be half a GiB in
    // flight, more than the client buffers before it declares itself a slow consumer.
    return consumer.consume({ max_bytes: PULL_MAX_BYTES });
  }

  private checkOpen(): void {
    if (this.closed) throw new LogError(LogErrorCode.Closed, "the log is closed");
  }
}

/** Bytes a consumer asks the server for at a time. */
const PULL_MAX_BYTES = 8 * 1024 * 1024;

function entryOf(partition: number, m: JsMsg): LogEntry {
  return {
    partition,
    seq: m.seq,
    msgId: m.headers?.get(MSG_ID_HEADER) ?? "",
    data: m.data,
    timestampMs: m.time.getTime(),
  };
}

async function watchStatus(messages: ConsumerMessages, options: SubscribeOptions): Promise<void> {
  if (!options.onStatus) return;
  for await (const s of messages.status()) {
    if (s.type === "ordered_consumer_recreated")
      options.onStatus({ type: "resubscribed", fromSeq: 0 });
    else if (s.type === "heartbeats_missed") options.onStatus({ type: "disconnected" });
  }
}

function isNotFound(error: unknown): boolean {
  const e = error as {
    code?: number;
    status?: number;
    message?: string;
    api_error?: { code?: number };
  };
  return e?.api_error?.code === 404 || e?.code === 404 || /not found/i.test(e?.message ?? "");
}
