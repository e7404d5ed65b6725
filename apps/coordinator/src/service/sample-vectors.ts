import { apportion, type SampledVector } from "@quiver/api";
import type { LibraryRecord } from "@quiver/events";
import type { ServiceContext } from "./context.js";
import { gatherLibraryStats } from "./statistics-service.js";

/**
 * A seeded sample of up to `count` stored vectors of a library (float32 originals), spread over
 * its partitions in proportion to the vectors each holds: one replica answers per partition (the
 * next one when it fails). Partitions no replica serves are left out. The recall probe draws its
 * queries from it; the benchmark its training and query sets.
 */
export async function sampleLibraryVectors(
  ctx: ServiceContext,
  library: LibraryRecord,
  count: number,
  seed: number,
): Promise<SampledVector[]> {
  const { rows, vectorsByPartition } = await gatherLibraryStats(ctx, library);
  const partitions = [...vectorsByPartition.keys()].sort((a, b) => a - b);
  const shares = apportion(
    count,
    partitions.map((p) => vectorsByPartition.get(p) ?? 0),
  );
  const shardsById = new Map(
    partitions.flatMap((p) => ctx.router.replicas(p)).map((s) => [s.shardId, s]),
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
          ctx.logger.warn(
            { err: error, shard: row.shard, partition },
            "sample failed on a replica; trying the next",
          );
        }
      }
      return [];
    }),
  );
  return sampled.flat();
}
