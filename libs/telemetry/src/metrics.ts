import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { memoryLimitBytes } from "./memory-limit.js";

/**
 * The metrics of a shard's partitions (each worker thread has its set; the node merges them
 * with its own library gauges, library-metrics.ts) at /metrics. Names follow Prometheus conventions: `quiver_` prefix, unit suffix, `_total` for
 * counters.
 */
export function createShardMetrics(registry: Registry = new Registry()) {
  return {
    registry,
    eventsApplied: new Counter({
      name: "quiver_events_applied_total",
      help: "Events applied to a partition's store and index, by event type",
      labelNames: ["partition", "type"] as const,
      registers: [registry],
    }),
    vectorsApplied: new Counter({
      name: "quiver_vectors_applied_total",
      help: "Vectors upserted or deleted by applied events",
      labelNames: ["partition", "operation"] as const,
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: "quiver_events_dead_lettered_total",
      help: "Events that could not be applied (malformed, unknown type or version, invalid for their library) and were recorded as dead letters",
      labelNames: ["partition", "reason"] as const,
      registers: [registry],
    }),
    libraryFailures: new Counter({
      name: "quiver_library_index_failures_total",
      help: "Library indexes taken out of service in a partition because they could not be built or updated (a resource error); the other libraries go on",
      labelNames: ["partition"] as const,
      registers: [registry],
    }),
    appliedSeq: new Gauge({
      name: "quiver_partition_applied_seq",
      help: "Log sequence of the last event applied to a partition",
      labelNames: ["partition"] as const,
      registers: [registry],
    }),
    snapshotSeconds: new Histogram({
      name: "quiver_index_snapshot_seconds",
      help: "Time to write a partition's index snapshots",
      labelNames: ["partition"] as const,
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30],
      registers: [registry],
    }),
  };
}

export type ShardMetrics = ReturnType<typeof createShardMetrics>;

/**
 * Adds prom-client's default process metrics (process_resident_memory_bytes, heap, event loop
 * lag, ...) and the process's memory limit when it has one to a registry. Once per process: embedded mode puts them on the shard registry only.
 */
export function collectProcessMetrics(registry: Registry = new Registry()): Registry {
  collectDefaultMetrics({ register: registry });
  const limit = memoryLimitBytes();
  const gauge = new Gauge({
    name: "quiver_process_memory_limit_bytes",
    help: "Memory this process may use (QUIVER_SHARD_MEMORY_LIMIT_BYTES or the cgroup's limit); absent when unlimited",
    registers: [registry],
  });
  if (limit !== undefined) gauge.set(limit);
  return registry;
}

/** The metrics a coordinator exports at /metrics. */
export function createCoordinatorMetrics(registry: Registry = new Registry()) {
  return {
    registry,
    httpRequestSeconds: new Histogram({
      name: "quiver_http_request_duration_seconds",
      help: "Time to answer an HTTP request, by route and status",
      labelNames: ["method", "route", "status"] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    }),
  };
}

export type CoordinatorMetrics = ReturnType<typeof createCoordinatorMetrics>;
