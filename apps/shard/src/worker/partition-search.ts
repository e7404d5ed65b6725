import { compileFilter, type ShardHit, type ShardSearchRequest } from "@quiver/api";
import { ExactScan } from "@quiver/engine";
import type { PartitionStore } from "@quiver/store";
import type { LibraryIndex, SearchTimer } from "../partition/library-index.js";
import { StoreOriginals } from "../partition/store-originals.js";

/** Below this estimated share of matching vectors, a filtered search scans the matches exactly. */
const EXACT_SCAN_SELECTIVITY = 0.05;
/** Libraries this small are always scanned exactly under a filter. */
const EXACT_SCAN_SIZE = 2_000;
const SELECTIVITY_SAMPLE = 256;
/** ef is raised for filters (fewer admitted candidates per visited node), up to this. */
const MAX_FILTERED_EF = 4_096;

/**
 * Searches one library in one partition for every query of a request. Without a filter, the
 * library's index answers. With one, the share of matching vectors is estimated on a sample:
 * a selective filter scans the matching vectors exactly (float32 originals), a broad one searches
 * the index with the filter applied on admission and ef raised by the inverse of the share.
 * `exact` scans every admitted vector's float32 original, bypassing the index.
 */
export function searchPartition(
  store: PartitionStore,
  partition: number,
  index: LibraryIndex,
  request: ShardSearchRequest,
  timer?: SearchTimer,
): ShardHit[][] {
  const { libraryId, k, dimension } = request;
  const queries = Array.from({ length: request.queries.length / dimension }, (_, q) =>
    request.queries.subarray(q * dimension, (q + 1) * dimension),
  );
  if (index.size === 0) return queries.map(() => []);
  const ef = request.ef ?? index.record.hnsw.ef_search;
  let found: { ids: ArrayLike<number>; distances: ArrayLike<number> }[];
  const matches = request.filter ? compileFilter(request.filter) : undefined;
  const admits = matches
    ? (id: number) => matches(index.metadata(id, store, partition))
    : () => true;
  if (request.exact) {
    found = exactScan(store, partition, index, request.queries, k, admits);
  } else if (!matches) {
    found = queries.map((q) => index.search(q, k, { ef, rerankTopK: request.rerankTopK }, timer));
  } else {
    const share = estimateShare(store, partition, index, admits);
    if (share < EXACT_SCAN_SELECTIVITY || index.size <= EXACT_SCAN_SIZE) {
      found = exactScan(store, partition, index, request.queries, k, admits);
    } else {
      const filteredEf = Math.min(MAX_FILTERED_EF, Math.ceil(Math.max(ef, k) / share));
      found = queries.map((q) =>
        index.search(
          q,
          k,
          { ef: filteredEf, rerankTopK: request.rerankTopK, filter: admits },
          timer,
        ),
      );
    }
  }
  return found.map(({ ids, distances }) => {
    const hits: ShardHit[] = [];
    for (let i = 0; i < ids.length; i++) {
      const internal = ids[i];
      const hit: ShardHit = {
        id: index.vectorId(internal, store, partition),
        distance: distances[i],
      };
      if (request.includeMetadata) hit.metadata = index.metadata(internal, store, partition);
      if (request.includeVectors) {
        hit.vector = Array.from(store.original(partition, libraryId, internal) ?? []);
      }
      hits.push(hit);
    }
    return hits;
  });
}

/** The share of a library's vectors a filter admits, from a spread sample of internal ids. */
function estimateShare(
  store: PartitionStore,
  partition: number,
  index: LibraryIndex,
  admits: (id: number) => boolean,
): number {
  if (index.size <= EXACT_SCAN_SIZE) return 0;
  const bound = store.idBound(partition, index.record.libraryId);
  const step = Math.max(1, Math.floor(bound / SELECTIVITY_SAMPLE));
  let live = 0;
  let admitted = 0;
  for (let id = Math.floor(step / 2); id < bound; id += step) {
    if (!index.has(id)) continue;
    live++;
    if (admits(id)) admitted++;
  }
  return live === 0 ? 0 : admitted / live;
}

/**
 * Exact top-k of the vectors the filter admits, per query, on the float32 originals: the engine's
 * ExactScan (batch kernels, a bounded heap per query, every query per chunk of originals read).
 */
function exactScan(
  store: PartitionStore,
  partition: number,
  index: LibraryIndex,
  queries: Float32Array,
  k: number,
  admits: (id: number) => boolean,
) {
  const { libraryId, dimension, metric } = index.record;
  const bound = store.idBound(partition, libraryId);
  const ids = new Uint32Array(bound);
  let count = 0;
  for (let id = 0; id < bound; id++) if (index.has(id) && admits(id)) ids[count++] = id;
  const queryCount = queries.length / dimension;
  const scan = new ExactScan(queries, queryCount, {
    dim: dimension,
    metric,
    k,
    workspace: index.workspace,
  });
  try {
    scan.scanSource(ids, count, new StoreOriginals(store, partition, libraryId, dimension));
    return scan.results();
  } finally {
    scan.dispose(); // after a failed read too: the scan's queries go back to the workspace
  }
}
