import {
  DeliverPolicy,
  jetstream,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
} from "@nats-io/jetstream";
import { type KV, KvWatchInclude, Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { LogError, LogErrorCode } from "../errors.js";
import {
  checkKey,
  checkPrefix,
  conflict,
  type KvChange,
  type KvEntry,
  type KvPutOptions,
  type KvStore,
  type KvWatch,
} from "./kv-store.js";

export interface JetStreamKvOptions {
  bucket: string;
  /** Bucket replicas (3 in a production cluster; 1 on a single server). */
  replicas?: number;
}

const OPERATION_HEADER = "KV-Operation";
/**
 * Messages a listing asks the server for at a time. Counted in messages, not bytes: nats-server
 * 2.9.10 drops some last-per-subject messages from pulls bounded by bytes.
 */
const LIST_BATCH = 64;
/** A listing that receives nothing for this long has stalled: it fails rather than waits. */
const LIST_IDLE_MS = 10_000;

/**
 * The KV store on a NATS JetStream KV bucket (file storage, one value per key), over a connection
 * the process already has (the log's). A listing reads the last value of each key under the
 * prefix through one ordered consumer; a watch is the bucket's watcher from now on.
 */
export class JetStreamKv implements KvStore {
  private readonly watches = new Set<KvWatch>();
  private readonly subjectPrefix: string;

  private constructor(
    private readonly kv: KV,
    private readonly js: JetStreamClient,
    private readonly bucket: string,
  ) {
    this.subjectPrefix = `$KV.${bucket}.`;
  }

  static async open(nc: NatsConnection, options: JetStreamKvOptions): Promise<JetStreamKv> {
    const kv = await new Kvm(nc).create(options.bucket, {
      history: 1,
      replicas: options.replicas ?? 1,
    });
    return new JetStreamKv(kv, jetstream(nc), options.bucket);
  }

  async get(key: string): Promise<KvEntry | undefined> {
    checkKey(key);
    const e = await this.request(`get ${key}`, () => this.kv.get(key));
    if (!e || e.operation !== "PUT") return undefined;
    return { key, value: e.value, revision: e.revision };
  }

  async put(key: string, value: Uint8Array, options: KvPutOptions = {}): Promise<number> {
    checkKey(key);
    const expected = options.previousRevision;
    try {
      if (expected === undefined) return await this.kv.put(key, value);
      // create() also takes a key whose last change is a delete
      if (expected === 0) return await this.kv.create(key, value);
      return await this.kv.update(key, value, expected);
    } catch (error) {
      if (isWrongLastSequence(error)) throw conflict(key, expected ?? 0);
      throw unavailable(`put ${key}`, error);
    }
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    if (!(await this.get(key))) return;
    await this.request(`delete ${key}`, () => this.kv.delete(key));
  }

  async list(prefix: string): Promise<KvEntry[]> {
    checkPrefix(prefix);
    return this.request(`list ${prefix}`, async () => {
      const consumer = await this.js.consumers.get(`KV_${this.bucket}`, {
        filter_subjects: `${this.subjectPrefix}${prefix}>`,
        deliver_policy: DeliverPolicy.LastPerSubject,
      });
      const byKey = new Map<string, KvEntry | undefined>();
      if ((await consumer.info(true)).num_pending === 0) {
        await consumer.delete().catch(() => undefined);
        return [];
      }
      const messages = await consumer.consume({ max_messages: LIST_BATCH });
      let idle: NodeJS.Timeout | undefined;
      let stalled = false;
      const watchdog = () => {
        clearTimeout(idle);
        idle = setTimeout(() => {
          stalled = true;
          void messages.close();
        }, LIST_IDLE_MS);
      };
      watchdog();
      try {
        for await (const m of messages) {
          watchdog();
          const key = m.subject.slice(this.subjectPrefix.length);
          const op = m.headers?.get(OPERATION_HEADER) ?? "";
          const known = byKey.get(key);
          if (!known || known.revision < m.seq) {
            byKey.set(
              key,
              op === "" || op === "PUT" ? { key, value: m.data, revision: m.seq } : undefined,
            );
          }
          if (m.info.pending === 0) break;
        }
      } finally {
        clearTimeout(idle);
        await messages.close();
      }
      if (stalled) throw new Error(`no message for ${LIST_IDLE_MS} ms before the listing's end`);
      return [...byKey.values()]
        .filter((e): e is KvEntry => e !== undefined)
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    });
  }

  async watch(prefix: string): Promise<KvWatch> {
    checkPrefix(prefix);
    const entries = await this.request(`watch ${prefix}`, () =>
      this.kv.watch({ key: `${prefix}>`, include: KvWatchInclude.UpdatesOnly }),
    );
    const changes = (async function* (): AsyncGenerator<KvChange> {
      for await (const e of entries) {
        yield e.operation === "PUT"
          ? { op: "put", key: e.key, value: e.value, revision: e.revision }
          : { op: "delete", key: e.key, revision: e.revision };
      }
    })();
    const watch: KvWatch = {
      [Symbol.asyncIterator]: () => changes,
      stop: async () => {
        this.watches.delete(watch);
        entries.stop();
      },
    };
    this.watches.add(watch);
    return watch;
  }

  async close(): Promise<void> {
    await Promise.all([...this.watches].map((w) => w.stop()));
  }

  private async request<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw unavailable(what, error);
    }
  }
}

function isWrongLastSequence(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence ||
      error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

function unavailable(what: string, error: unknown): LogError {
  if (error instanceof LogError) return error;
  return new LogError(LogErrorCode.Unavailable, `KV ${what} failed: ${(error as Error).message}`, {
    cause: error,
  });
}
