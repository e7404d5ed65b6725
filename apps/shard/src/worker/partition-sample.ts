import type { SampledVector } from "@quiver/api";
import { Rng, sampleIndices } from "@quiver/engine";
import type { PartitionStore } from "@quiver/store";
import type { LibraryIndex } from "../partition/library-index.js";

/**
 * The internal ids of `count` live vectors of a library in one partition, drawn uniformly without
 * replacement with a seeded generator (so they spread over the whole partition, not its oldest
 * ids), in id order.
 */
export function samplePartition(
  store: PartitionStore,
  partition: number,
  index: LibraryIndex,
  count: number,
  seed: number,
): number[] {
  if (count <= 0) return [];
  const { libraryId } = index.record;
  const live: number[] = [];
  const bound = store.idBound(partition, libraryId);
  for (let id = 0; id < bound; id++) if (index.has(id)) live.push(id);
  return [...sampleIndices(live.length, count, new Rng(seed))]
    .sort((a, b) => a - b)
    .map((i) => live[i]);
}

/**
 * The picked vectors from `offset` on, up to `maxBytes` of float32 values and ids (one at least,
 * unless `atLeastOne` is false: a page that already holds vectors of another partition).
 */
export function readSample(
  store: PartitionStore,
  libraryId: string,
  picks: { partition: number; internal: number }[],
  offset: number,
  maxBytes: number,
  atLeastOne = true,
): { vectors: SampledVector[]; next?: number } {
  const vectors: SampledVector[] = [];
  let bytes = 0;
  let at = offset;
  for (; at < picks.length; at++) {
    const { partition, internal } = picks[at];
    const id = store.vectorId(partition, libraryId, internal);
    const vector = store.original(partition, libraryId, internal);
    if (id === undefined || !vector) continue;
    if ((vectors.length > 0 || !atLeastOne) && bytes + vector.byteLength + id.length > maxBytes)
      break;
    bytes += vector.byteLength + id.length;
    vectors.push({ id, vector, partition });
  }
  return at < picks.length ? { vectors, next: at } : { vectors };
}
