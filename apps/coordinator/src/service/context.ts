import type { EventLog, KvStore } from "@quiver/log";
import type { Logger } from "@quiver/telemetry";
import type { Catalog } from "../catalog/catalog.js";
import type { PartitionRouter } from "@quiver/cluster";

/** What the coordinator's services share. */
export interface ServiceContext {
  log: EventLog;
  /** The catalog's KV store: library facts, and the benchmark jobs' records. */
  kv: KvStore;
  catalog: Catalog;
  router: PartitionRouter;
  logger: Logger;
  /** Data partitions a library gets when create does not say (and the most it may ask for). */
  defaultPartitions: number;
  maxPartitions: number;
  /** Default time a search may take, waiting for consistency included. */
  searchTimeoutMs: number;
  /** How long a `wait: true` write waits for the shards. */
  waitTimeoutMs: number;
}
