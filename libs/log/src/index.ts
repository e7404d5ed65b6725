export { isLogError, LogError, LogErrorCode } from "./errors.js";
export {
  type AppendResult,
  DEFAULT_DUPLICATE_WINDOW_MS,
  type EventLog,
  type EventLogReader,
  type LogEntry,
  type LogStatus,
  type LogSubscription,
  READ_MAX_BYTES,
  type SubscribeOptions,
} from "./event-log.js";
export { JetStreamLog, type JetStreamLogOptions } from "./jetstream/jetstream-log.js";
export { JetStreamKv, type JetStreamKvOptions } from "./kv/jetstream-kv.js";
export {
  type KvChange,
  type KvEntry,
  type KvPutOptions,
  type KvStore,
  type KvWatch,
} from "./kv/kv-store.js";
export { LmdbKv, type LmdbKvOptions } from "./kv/lmdb-kv.js";
export { LmdbLog, type LmdbLogOptions } from "./lmdb/lmdb-log.js";
