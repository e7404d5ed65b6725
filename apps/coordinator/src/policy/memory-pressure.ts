import type { LibraryMemoryComponent } from "@quiver/telemetry";

/** What one library holds in RAM over the whole deployment. */
export interface LibraryMemory {
  libraryId: string;
  /** Bytes its indexes hold (component `total`), summed over partitions and replicas. */
  bytes: number;
  /** The same sum by component (codes, graph, float32_cache, metadata, quantizer, other, total). */
  components: Record<LibraryMemoryComponent, number>;
  /** Vectors it holds, each partition counted once (the largest of its replicas' counts). */
  vectors: number;
  /** When the oldest of the figures was measured (ms since the epoch), when the source knows. */
  sampledAtMs?: number;
}

/** One shard process's memory. */
export interface ShardMemory {
  shardId: string;
  /** Resident set size of the process. */
  rssBytes: number;
  /** What it may use (QUIVER_SHARD_MEMORY_LIMIT_BYTES or its cgroup's limit), when known. */
  limitBytes?: number;
}

/** The figures the adaptive policy weighs, read at one moment. */
export interface MemoryPressure {
  /** When the figures were read (ms since the epoch). */
  atMs: number;
  /** Every library some shard reports, by id. */
  libraries: Map<string, LibraryMemory>;
  shards: ShardMemory[];
}

/**
 * Where memory pressure comes from: Prometheus over the shards' metrics in a cluster
 * (PrometheusSource), the process itself in embedded mode (ProcessSource).
 */
export interface MemoryPressureSource {
  read(): Promise<MemoryPressure>;
}

export function emptyComponents(): Record<LibraryMemoryComponent, number> {
  return { codes: 0, graph: 0, float32_cache: 0, metadata: 0, quantizer: 0, other: 0, total: 0 };
}

/** The library's entry in `libraries`, created empty on first use. */
export function libraryEntry(libraries: Map<string, LibraryMemory>, libraryId: string) {
  let entry = libraries.get(libraryId);
  if (!entry) {
    entry = { libraryId, bytes: 0, components: emptyComponents(), vectors: 0 };
    libraries.set(libraryId, entry);
  }
  return entry;
}
