import type { SampledVector } from "@quiver/api";
import { Rng, sampleIndices } from "@quiver/engine";
import type { PartitionStore } from "@quiver/store";
import type { LibraryIndex } from "../partition/library-index.js";

/**
 * `count` live vectors of a library in one partition, drawn uniformly without replacement with a
 * seeded generator (so they spread over the whole partition, not its oldest ids), in id order,
 * with their float32 originals.
 */
export function samplePartition(
  store: PartitionStore,
  partition: number,
  index: LibraryIndex,
  count: number,
  seed: number,
): SampledVector[] {
  if (count <= 0) return [];
  const { libraryId } = index.record;
  const live: number[] = [];
  const bound = store.idBound(partition, libraryId);
  for (let id = 0; id < bound; id++) if (index.has(id)) live.push(id);
  const picked = [...sampleIndices(live.length, count, new Rng(seed))].sort((a, b) => a - b);
  const out: SampledVector[] = [];
  for (const i of picked) {
    const internal = live[i];
    const id = store.vectorId(partition, libraryId, internal);
    const vector = store.original(partition, libraryId, internal);
    if (id !== undefined && vector) out.push({ id, vector, partition });
  }
  return out;
}
