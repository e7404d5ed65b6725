import type {
  LibraryPartitionStats,
  PartitionLibraryStats,
  PartitionServingState,
  PartitionState,
  SampledVector,
  ShardGetRequest,
  ShardGetResponse,
  ShardSearchRequest,
  ShardSearchResponse,
} from "@quiver/api";
import type { WorkspaceFigures } from "@quiver/engine";
import type { LibraryMemoryRow } from "@quiver/telemetry";
import type { RequestedThreadInfo } from "@quiver/threads";
import type { SamplePageRequest } from "./partition-host.js";

/** Where a partition worker reads the event log. */
export type WorkerLogConfig =
  | { kind: "lmdb"; path: string }
  | { kind: "jetstream"; servers: string | string[]; streamName?: string };

/** What a partition worker thread is started with (structured-cloneable). */
export interface PartitionWorkerConfig {
  shardId: string;
  workerIndex: number;
  /** The shard's LMDB environment: every worker opens it. */
  storePath: string;
  log: WorkerLogConfig;
  snapshotEveryEvents?: number;
  snapshotEveryMs?: number;
  logLevel?: string;
  /** The node's SearchGate: its threads' background work gives way to searches in flight. */
  searchGate?: SharedArrayBuffer;
}

/** The calls a partition worker answers: op -> [arguments, result]. */
export interface PartitionWorkerOps {
  host: [{ partition: number }, void];
  release: [{ partition: number }, void];
  search: [ShardSearchRequest, ShardSearchResponse];
  get: [ShardGetRequest, ShardGetResponse];
  waitApplied: [{ minSeqs: Record<number, number>; timeoutMs: number }, Record<number, number>];
  status: [undefined, PartitionState[]];
  libraryStats: [{ libraryId: string; partitions: number[] }, PartitionLibraryStats[]];
  /** Every library of every serving partition of the thread. */
  allLibraryStats: [undefined, LibraryPartitionStats[]];
  libraryMemory: [undefined, LibraryMemoryRow[]];
  sizes: [{ libraryId: string; partitions: number[] }, Record<number, number>];
  samplePage: [SamplePageRequest, { vectors: SampledVector[]; next?: number }];
  /** The thread's kernel workspace figures. */
  workspaceFigures: [undefined, WorkspaceFigures];
  /** The worker's metrics registry as prom-client JSON (the main thread aggregates them). */
  metrics: [undefined, unknown[]];
  /** Releases every partition (snapshots started within snapshotMs), closes the log and the store. */
  close: [{ snapshotMs?: number } | undefined, void];
}

export type PartitionWorkerOp = keyof PartitionWorkerOps;

/**
 * The calls a worker answers before its background work: the main thread counts each one it
 * posts, the worker counts it out as it starts on it (see ThreadPriority).
 */
export const ANSWERED_FIRST: ReadonlySet<PartitionWorkerOp> = new Set(["search", "get"]);

/** What a worker tells the main thread unasked. */
export type PartitionWorkerEvent =
  /** Started; `requests`: what the main thread signals each search and read with. */
  | { type: "ready"; requests: RequestedThreadInfo }
  | { type: "state"; partition: number; state: PartitionServingState };
