import { apportion, type PartitionLibraryStats, type SampledVector } from "@quiver/api";
import type { PartitionRouter } from "./partition-router.js";

/** What every shard serving some of a library's partitions holds of it, by partition. */
export async function libraryRows(
  router: PartitionRouter,
  libraryId: string,
  partitions: number,
): Promise<(PartitionLibraryStats & { shard: string })[]> {
  const all = Array.from({ length: partitions }, (_, p) => p);
  const shards = new Map(all.flatMap((p) => router.replicas(p)).map((s) => [s.shardId, s]));
  const rows: (PartitionLibraryStats & { shard: string })[] = [];
  await Promise.all(
    [...shards.values()].map(async (shard) => {
      // a shard that does not answer is left out: its partitions are missing from the counts
      const stats = await shard.libraryStats(libraryId, all).catch(() => undefined);
      for (const p of stats?.partitions ?? []) rows.push({ ...p, shard: shard.shardId });
    }),
  );
  rows.sort((a, b) => a.partition - b.partition || (a.shard < b.shard ? -1 : 1));
  return rows;
}

/**
 * A seeded sample of up to `count` stored vectors of a library (float32 originals), spread over
 * its partitions in proportion to the vectors each holds: one replica answers per partition (the
 * next one when it fails). Partitions no replica serves are left out. The recall probe draws its
 * queries from it, the benchmark its sets, a training its sample.
 */
export async function sampleAcross(
  router: PartitionRouter,
  library: { libraryId: string; partitions?: number },
  count: number,
  seed: number,
  onReplicaError: (error: unknown, shard: string, partition: number) => void = () => {},
): Promise<SampledVector[]> {
  const rows = await libraryRows(router, library.libraryId, library.partitions ?? 1);
  const vectorsByPartition = new Map<number, number>();
  for (const r of rows) {
    if (!vectorsByPartition.has(r.partition)) vectorsByPartition.set(r.partition, r.vectors);
  }
  const partitions = [...vectorsByPartition.keys()].sort((a, b) => a - b);
  const shares = apportion(
    count,
    partitions.map((p) => vectorsByPartition.get(p) ?? 0),
  );
  const shardsById = new Map(
    partitions.flatMap((p) => router.replicas(p)).map((s) => [s.shardId, s]),
  );
  const sampled = await Promise.all(
    partitions.map(async (partition, i) => {
      if (shares[i] === 0) return [];
      for (const row of rows.filter((r) => r.partition === partition)) {
        const shard = shardsById.get(row.shard);
        if (!shard) continue;
        try {
          const { vectors } = await shard.sample({
            libraryId: library.libraryId,
            partitions: [partition],
            count: shares[i],
            seed,
          });
          return vectors;
        } catch (error) {
          onReplicaError(error, row.shard, partition);
        }
      }
      return [];
    }),
  );
  return sampled.flat();
}
