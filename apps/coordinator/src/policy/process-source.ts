import { memoryLimitBytes, type LibraryMemoryComponent, type Registry } from "@quiver/telemetry";
import {
  libraryEntry,
  type LibraryMemory,
  type MemoryPressure,
  type MemoryPressureSource,
} from "./memory-pressure.js";

export interface ProcessSourceOptions {
  /** The in-process shard's metrics registry (its library gauges read the shard node). */
  registry: Registry;
  /** The name the process's one shard goes by; `embedded` unless told. */
  shardId?: string;
}

/**
 * Memory pressure in embedded mode, read from the process itself: the same library gauges a
 * shard exports to Prometheus, collected in process, and process.memoryUsage().
 */
export class ProcessSource implements MemoryPressureSource {
  constructor(private readonly options: ProcessSourceOptions) {}

  async read(): Promise<MemoryPressure> {
    const atMs = Date.now();
    const libraries = new Map<string, LibraryMemory>();
    for (const { labels, value } of await this.values("quiver_library_memory_bytes")) {
      const entry = libraryEntry(libraries, String(labels.library_id));
      const component = labels.component as LibraryMemoryComponent;
      if (component in entry.components) entry.components[component] += value;
      if (component === "total") entry.bytes += value;
    }
    // One replica per partition in a process: the vectors add up.
    for (const { labels, value } of await this.values("quiver_library_vectors")) {
      libraryEntry(libraries, String(labels.library_id)).vectors += value;
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

  private async values(name: string) {
    const metric = this.options.registry.getSingleMetric(name);
    if (!metric) throw new Error(`the registry has no metric ${name} (not a shard's registry?)`);
    return (await metric.get()).values;
  }
}
