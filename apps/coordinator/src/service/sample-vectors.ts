import { sampleAcross } from "@quiver/cluster";
import type { SampledVector } from "@quiver/api";
import type { LibraryRecord } from "@quiver/events";
import type { ServiceContext } from "./context.js";

/** A seeded sample of a library's stored vectors, spread over its partitions (sampleAcross). */
export function sampleLibraryVectors(
  ctx: ServiceContext,
  library: LibraryRecord,
  count: number,
  seed: number,
): Promise<SampledVector[]> {
  return sampleAcross(ctx.router, library, count, seed, (error, shard, partition) =>
    ctx.logger.warn(
      { err: error, shard, partition },
      "sample failed on a replica; trying the next",
    ),
  );
}
