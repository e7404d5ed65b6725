import { compileFilter, type ShardHit, type ShardSearchRequest } from "@quiver/api";
import { ExactScan } from "@quiver/engine";
import type { PartitionStore } from "@quiver/store";
import type { TimeSlice } from "@quiver/threads";
import type { LibraryIndex, SearchTimer } from "../partition/library-index.js";
import { StoreOriginals } from "../partition/store-originals.js";
import { type ExactScans, SCAN_THREAD_WORK } from "./exact-scans.js";

/** Below this estimated share of matching vectors, a filtered search scans the matches exactly. */
const EXACT_SCAN_SELECTIVITY = 0.05;
/** Libraries this small are always scanned exactly under a filter. */
const EXACT_SCAN_SIZE = 2_000;
const SELECTIVITY_SAMPLE = 256;
/** ef is raised for filters (fewer admitted candidates per visited node), up to this. */
const MAX_FILTERED_EF = 4_096;
/**
 * Multiply-adds of an exact scan between two checks of the slice (about a millisecond): a scan of
 * a large partition for a batch of queries (the recall probe's) takes seconds.
 */
const EXACT_PIECE_WORK = 2_000_000;

/**
 * Searches one library in one partition for every query of a request. Without a filter, the
 * library's index answers. With one, the share of matching vectors is estimated on a sample:
 * a selective filter scans the matching vectors exactly (float32 originals), a broad one searches
 * the index with the filter applied on admission and ef raised by the inverse of the share.
 * `exact` scans every admitted vector's float32 original, bypassing the index.
 *
 * A request of many queries, or an exact scan, gives the thread's other messages (searches,
 * status calls) a turn whenever `slice` is due: between two queries, between two pieces of the
 * scan. The library's index may be replaced meanwhile (a migration's switch): `current` gives the
 * one to search on; when it answers undefined (the library went), so does the search.
 */
export async function searchPartition(
  store: PartitionStore,
  partition: number,
  current: () => LibraryIndex | undefined,
  request: ShardSearchRequest,
  slice: TimeSlice,
  scans?: ExactScans,
  timer?: SearchTimer,
): Promise<ShardHit[][] | undefined> {
  const { libraryId, k, dimension } = request;
  const queryCount = request.queries.length / dimension;
  const queries = Array.from({ length: queryCount }, (_, q) =>
    request.queries.subarray(q * dimension, (q + 1) * dimension),
  );
  let index = current();
  if (!index) return undefined;
  if (index.size === 0) return queries.map(() => []);
  const ef = request.ef ?? index.record.hnsw.ef_search;
  const matches = request.filter ? compileFilter(request.filter) : undefined;
  // `index` is the one searched now (eachQuery looks it up again after each pause)
  const admits = matches
    ? (id: number) => matches((index as LibraryIndex).metadata(id, store, partition))
    : () => true;
  /** Each query on the index serving now (one query at a time between the slices). */
  const eachQuery = async (options: Parameters<LibraryIndex["search"]>[2]) => {
    const found: { ids: ArrayLike<number>; distances: ArrayLike<number> }[] = [];
    for (const q of queries) {
      if (found.length > 0 && slice.due()) {
        await slice.pause();
        index = current();
        if (!index) return undefined;
      }
      found.push((index as LibraryIndex).search(q, k, options, timer));
    }
    return found;
  };
  let found: { ids: ArrayLike<number>; distances: ArrayLike<number> }[] | undefined;
  if (request.exact) {
    found = await exactScan(store, partition, index, request.queries, k, admits, slice, scans);
  } else if (!matches) {
    found = await eachQuery({ ef, rerankTopK: request.rerankTopK });
  } else {
    const share = estimateShare(store, partition, index, admits);
    if (share < EXACT_SCAN_SELECTIVITY || index.size <= EXACT_SCAN_SIZE) {
      found = await exactScan(store, partition, index, request.queries, k, admits, slice, scans);
    } else {
      const filteredEf = Math.min(MAX_FILTERED_EF, Math.ceil(Math.max(ef, k) / share));
      found = await eachQuery({ ef: filteredEf, rerankTopK: request.rerankTopK, filter: admits });
    }
  }
  const named = current();
  if (!found || !named) return undefined;
  return found.map(({ ids, distances }) => {
    const hits: ShardHit[] = [];
    for (let i = 0; i < ids.length; i++) {
      const internal = ids[i];
      const id = named.vectorId(internal, store, partition);
      // deleted while the scan gave way
      if (id === "") continue;
      const hit: ShardHit = { id, distance: distances[i] };
      if (request.includeMetadata) hit.metadata = named.metadata(internal, store, partition);
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
 * A long scan goes to the scan thread when there is one; otherwise it is fed a piece of the ids
 * at a time, with the thread's other messages between pieces when the slice is due. A vector
 * deleted meanwhile is skipped (its original is gone).
 */
async function exactScan(
  store: PartitionStore,
  partition: number,
  index: LibraryIndex,
  queries: Float32Array,
  k: number,
  admits: (id: number) => boolean,
  slice: TimeSlice,
  scans: ExactScans | undefined,
) {
  const { libraryId, dimension: dim, metric } = index.record;
  const bound = store.idBound(partition, libraryId);
  const all = new Uint32Array(bound);
  let count = 0;
  for (let id = 0; id < bound; id++) if (index.has(id) && admits(id)) all[count++] = id;
  const queryCount = queries.length / dim;
  const scanned = { partition, libraryId, dim, metric, k, queries };
  if (scans && queryCount * count * dim >= SCAN_THREAD_WORK) {
    return scans.scan({ ...scanned, ids: all.slice(0, count) });
  }
  const scan = new ExactScan(queries, queryCount, { dim, metric, k, workspace: index.workspace });
  const originals = new StoreOriginals(store, partition, libraryId, dim);
  const piece = Math.max(16, Math.floor(EXACT_PIECE_WORK / (queryCount * dim)));
  try {
    for (let start = 0; start < count; start += piece) {
      const n = Math.min(piece, count - start);
      scan.scanSource(all.subarray(start, start + n), n, originals);
      if (start + n < count) await slice.yieldIfDue();
    }
    return scan.results();
  } finally {
    scan.dispose(); // after a failed read too: the scan's queries go back to the workspace
  }
}
