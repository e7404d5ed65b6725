// A partition worker thread: hosts some of a shard node's partitions (their appliers, LMDB
// handles and indexes) and answers the main thread's calls for them. The main thread keeps the
// node's RPC, heartbeats and /metrics, so nothing here can delay them.
import { parentPort, workerData } from "node:worker_threads";
import { type EventLogReader, JetStreamLog, LmdbLog } from "@quiver/log";
import { PartitionStore } from "@quiver/store";
import { createLogger, createShardMetrics, registerWorkerMemoryMetrics } from "@quiver/telemetry";
import { SearchGate, serveRpc, threadPriority } from "@quiver/threads";
import { PartitionHost } from "./partition-host.js";
import {
  ANSWERED_FIRST,
  type PartitionWorkerConfig,
  type PartitionWorkerEvent,
  type PartitionWorkerOp,
  type PartitionWorkerOps,
} from "./protocol.js";

const port = parentPort;
if (!port) throw new Error("partition-worker.ts runs as a worker thread");
const config = (workerData as { config: PartitionWorkerConfig }).config;
const logger = createLogger(`shard ${config.shardId}`, { level: config.logLevel }).child({
  worker: config.workerIndex,
});

// searches let through at once by inserts and snapshots, which run below them where the thread
// may go back up (see ThreadPriority); without CAP_SYS_NICE every lane shares one priority
const requests = threadPriority.open();
if (!requests.switching && config.workerIndex === 0) {
  logger.info(
    "no CAP_SYS_NICE: partition threads apply inserts at the priority they answer searches at",
  );
}

const log: EventLogReader =
  config.log.kind === "lmdb"
    ? LmdbLog.open({ path: config.log.path, readOnly: true })
    : await JetStreamLog.connect({
        servers: config.log.servers,
        streamName: config.log.streamName,
        ensureStream: false,
      });
const store = PartitionStore.open({ path: config.storePath });
const metrics = createShardMetrics();
// every series names its shard, as the main thread's do (the adaptive policy reads them by shard)
metrics.registry.setDefaultLabels({ shard_id: config.shardId });
const events = { emit: (_event: PartitionWorkerEvent) => {} };
const host = new PartitionHost({
  store,
  storePath: config.storePath,
  log,
  metrics,
  logger,
  snapshotEveryEvents: config.snapshotEveryEvents,
  snapshotEveryMs: config.snapshotEveryMs,
  ...(config.searchGate ? { searchGate: new SearchGate(config.searchGate) } : {}),
  onState: (partition, state) => events.emit({ type: "state", partition, state }),
});

registerWorkerMemoryMetrics(metrics.registry, () => host.workspaceFigures());

type Handlers = {
  [Op in PartitionWorkerOp]: (
    args: PartitionWorkerOps[Op][0],
  ) => PartitionWorkerOps[Op][1] | Promise<PartitionWorkerOps[Op][1]>;
};

const handlers: Handlers = {
  host: ({ partition }) => host.host(partition),
  release: ({ partition }) => host.release(partition),
  search: (request) => host.search(request),
  get: (request) => host.get(request),
  waitApplied: ({ minSeqs, timeoutMs }) => host.waitApplied(minSeqs, timeoutMs),
  status: () => host.status(),
  libraryStats: ({ libraryId, partitions }) => host.libraryStats(libraryId, partitions),
  allLibraryStats: () => host.allLibraryStats(),
  libraryMemory: () => host.libraryMemory(),
  sizes: ({ libraryId, partitions }) => host.sizes(libraryId, partitions),
  samplePage: (request) => host.samplePage(request),
  workspaceFigures: () => host.workspaceFigures(),
  metrics: async () => (await metrics.registry.getMetricsAsJSON()) as unknown[],
  close: async (args) => {
    await host.close(args?.snapshotMs);
    await log.close();
    await store.close();
  },
};

const server = serveRpc(port, (op, args) => {
  if (ANSWERED_FIRST.has(op as PartitionWorkerOp)) {
    threadPriority.requestTaken();
    threadPriority.enter("foreground");
  }
  return (handlers[op as PartitionWorkerOp] as (a: unknown) => unknown)(args);
});
events.emit = (event) => server.emit(event);
events.emit({ type: "ready", requests });
