import type { ServiceContext } from "../service/context.js";
import type { LibraryStatsRows } from "../service/node-stats.js";
import type { NodeStatsView } from "../service/node-stats-view.js";
import {
  libraryEntry,
  type LibraryMemory,
  type MemoryPressure,
  type MemoryPressureSource,
} from "./memory-pressure.js";

/**
 * Memory figures asked of the shards directly (their statistics of every library, one call per
 * shard node a round), for a cluster run without Prometheus: every library's bytes, but no
 * process memory of the shards.
 */
export class StatisticsSource implements MemoryPressureSource {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly stats: NodeStatsView,
  ) {}

  async read(): Promise<MemoryPressure> {
    const libraries = new Map<string, LibraryMemory>();
    const round = await this.stats.round();
    for (const library of this.ctx.catalog.all()) {
      const stats = round.library(library.libraryId);
      if (stats.rows.length > 0)
        libraries.set(library.libraryId, memoryFromStats(library.libraryId, stats));
    }
    return { atMs: round.atMs, libraries, shards: [] };
  }
}

/** A library's memory figures from the shards' statistics (every replica's bytes). */
export function memoryFromStats(libraryId: string, stats: LibraryStatsRows): LibraryMemory {
  const { rows, vectorsByPartition } = stats;
  const entry = libraryEntry(new Map(), libraryId);
  for (const r of rows) {
    const c = entry.components;
    c.codes += r.index.vectors;
    c.graph += r.index.graph;
    c.float32_cache += r.index.originals;
    c.metadata += r.metadataBytes;
    c.quantizer += r.index.quantizer;
    c.other += r.index.other;
    c.total += r.index.total + r.metadataBytes;
  }
  entry.bytes = entry.components.total;
  entry.vectors = [...vectorsByPartition.values()].reduce((a, b) => a + b, 0);
  return entry;
}
