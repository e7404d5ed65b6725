import type { LibraryPartitionStats, PartitionLibraryStats } from "@quiver/api";
import type { ServiceContext } from "./context.js";

/** A row of a shard's statistics, with the shard that reported it. */
export type NodeStatsRow = LibraryPartitionStats & { shard: string };

/** What the shards report of one library. */
export interface LibraryStatsRows {
  /** What every serving replica holds, by partition then shard. */
  rows: (PartitionLibraryStats & { shard: string })[];
  /** Vectors per partition, from one replica each (partitions no replica reported are absent). */
  vectorsByPartition: Map<number, number>;
}

/**
 * Every library's rows, from one statistics call per shard node (not one per library): the view
 * the controllers run on, whatever the number of libraries. A shard that does not answer is left
 * out (its partitions are missing from the counts).
 */
export async function gatherNodeStats(ctx: ServiceContext): Promise<Map<string, NodeStatsRow[]>> {
  const answers = await Promise.all(
    ctx.router.shards().map(async (shard) => {
      const stats = await shard.nodeStats().catch(() => undefined);
      return (stats?.rows ?? []).map((row) => ({ ...row, shard: shard.shardId }));
    }),
  );
  const byLibrary = new Map<string, NodeStatsRow[]>();
  for (const row of answers.flat()) {
    const rows = byLibrary.get(row.libraryId);
    if (rows) rows.push(row);
    else byLibrary.set(row.libraryId, [row]);
  }
  for (const rows of byLibrary.values()) rows.sort(byPartitionThenShard);
  return byLibrary;
}

/** The order the statistics list a library's rows in: by partition, then shard. */
export function byPartitionThenShard(
  a: { partition: number; shard: string },
  b: { partition: number; shard: string },
): number {
  return a.partition - b.partition || (a.shard < b.shard ? -1 : a.shard > b.shard ? 1 : 0);
}

/** A library's rows with its vectors per partition. */
export function libraryStatsRows(rows: LibraryStatsRows["rows"]): LibraryStatsRows {
  return { rows, vectorsByPartition: vectorsByPartition(rows) };
}

/** Vectors per partition, one replica each (partitions no replica reported are absent). */
export function vectorsByPartition(rows: readonly PartitionLibraryStats[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const r of rows) if (!out.has(r.partition)) out.set(r.partition, r.vectors);
  return out;
}

/** A library's vectors: the sum over its partitions of one replica's count. */
export function totalVectors(rows: readonly PartitionLibraryStats[]): number {
  let total = 0;
  for (const n of vectorsByPartition(rows).values()) total += n;
  return total;
}
