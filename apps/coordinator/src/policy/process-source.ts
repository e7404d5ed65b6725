import {
  LIBRARY_MEMORY_COMPONENTS,
  type LibraryMemoryRow,
  memoryLimitBytes,
} from "@quiver/telemetry";
import {
  libraryEntry,
  type LibraryMemory,
  type MemoryPressure,
  type MemoryPressureSource,
} from "./memory-pressure.js";

export interface ProcessSourceOptions {
  /** What the in-process shard node holds of every library (the rows its gauges export). */
  libraryMemory: () => Promise<LibraryMemoryRow[]>;
  /** The name the process's one shard goes by; `embedded` unless told. */
  shardId?: string;
}

/**
 * Memory pressure in embedded mode, read from the process itself: the rows of the library gauges
 * a shard exports to Prometheus, asked of the in-process shard node, and process.memoryUsage().
 */
export class ProcessSource implements MemoryPressureSource {
  constructor(private readonly options: ProcessSourceOptions) {}

  async read(): Promise<MemoryPressure> {
    const atMs = Date.now();
    const libraries = new Map<string, LibraryMemory>();
    for (const row of await this.options.libraryMemory()) {
      const entry = libraryEntry(libraries, row.libraryId);
      for (const component of LIBRARY_MEMORY_COMPONENTS) {
        if (component in entry.components) entry.components[component] += row.bytes[component];
      }
      entry.bytes += row.bytes.total;
      // One replica per partition in a process: the vectors add up.
      entry.vectors += row.vectors;
    }
    const limitBytes = memoryLimitBytes();
    return {
      atMs,
      libraries,
      shards: [
        {
          shardId: this.options.shardId ?? "embedded",
          rssBytes: process.memoryUsage().rss,
          ...(limitBytes ? { limitBytes } : {}),
        },
      ],
    };
  }
}
