import type { VectorStore } from "../storage/vector-store.js";
import { DELETED, type HnswGraph } from "./hnsw-graph.js";
import type { SearchScratch } from "./search-scratch.js";

/** Admission test for results: an id predicate (metadata filter), evaluated on arrival. */
export type IdFilter = (id: number) => boolean;

/**
 * Best-first search of one level from `entry` (hnswlib's searchBaseLayerST), with the query
 * already prepared in `store`. Leaves up to `ef` nearest admitted nodes in `scratch.results`.
 * Deleted nodes (when `skipDeleted`) and nodes the filter rejects are traversed but not
 * admitted. Returns the number of distances computed.
 */
export function searchLayer(
  graph: HnswGraph,
  store: VectorStore,
  scratch: SearchScratch,
  entry: number,
  entryDist: number,
  ef: number,
  level: number,
  skipDeleted: boolean,
  filter: IdFilter | undefined,
): number {
  const { candidates, results, idsPtr, outPtr, mem } = scratch;
  const epoch = scratch.visited.next();
  const tags = scratch.visited.tags;
  const flags = graph.flags;
  const links = level === 0 ? graph.links0 : graph.upper;
  const stride0 = graph.stride0;
  const strideUpper = graph.strideUpper;
  const upperOffset = graph.upperOffset;
  const checkDeleted = skipDeleted && graph.deletedCount > 0;
  const bare = !checkDeleted && filter === undefined;
  const u32 = mem.u32;
  const f32 = mem.f32;
  const ids0 = idsPtr >>> 2;
  const out0 = outPtr >>> 2;
  let computed = 0;

  candidates.clear();
  results.clear();
  tags[entry] = epoch;
  let bound = Infinity;
  if (bare || admits(entry, flags, checkDeleted, filter)) {
    results.push(entryDist, entry);
    bound = entryDist;
  }
  candidates.push(-entryDist, entry);

  while (candidates.size > 0) {
    const dist = -candidates.topDist();
    if (dist > bound && (bare || results.size === ef)) break;
    const current = candidates.topId();
    candidates.pop();
    const at = level === 0 ? current * stride0 : upperOffset[current] + (level - 1) * strideUpper;
    const count = links[at];
    let n = 0;
    for (let j = 1; j <= count; j++) {
      const nb = links[at + j];
      if (tags[nb] !== epoch) {
        tags[nb] = epoch;
        u32[ids0 + n++] = nb;
      }
    }
    if (n === 0) continue;
    store.score(idsPtr, n, outPtr);
    computed += n;
    for (let j = 0; j < n; j++) {
      const d = f32[out0 + j];
      if (results.size < ef || d < bound) {
        const nb = u32[ids0 + j];
        candidates.push(-d, nb);
        if (bare || admits(nb, flags, checkDeleted, filter)) {
          if (results.size < ef) results.push(d, nb);
          else results.replaceTop(d, nb);
        }
        if (results.size > 0) bound = results.topDist();
      }
    }
  }
  return computed;
}

function admits(
  id: number,
  flags: Uint8Array,
  checkDeleted: boolean,
  filter: IdFilter | undefined,
): boolean {
  return (!checkDeleted || (flags[id] & DELETED) === 0) && (filter === undefined || filter(id));
}

/**
 * Greedy walk (ef = 1) from `start` down to level `toLevel` + 1: on each level, moves to the
 * closest neighbour while that improves. Returns the node reached; its distance is left in
 * `scratch.entryDist` (no object per call).
 */
export function greedyDescent(
  graph: HnswGraph,
  store: VectorStore,
  scratch: SearchScratch,
  start: number,
  startDist: number,
  toLevel: number,
): number {
  let current = start;
  scratch.entryDist = startDist;
  for (let level = graph.maxLevel; level > toLevel; level--) {
    current = greedyOnLevel(graph, store, scratch, current, level);
  }
  return current;
}

function greedyOnLevel(
  graph: HnswGraph,
  store: VectorStore,
  scratch: SearchScratch,
  start: number,
  level: number,
): number {
  const { idsPtr, outPtr, mem } = scratch;
  const links = graph.linkArray(level);
  const ids0 = idsPtr >>> 2;
  const out0 = outPtr >>> 2;
  let current = start;
  let best = scratch.entryDist;
  let changed = true;
  while (changed) {
    changed = false;
    const at = graph.linkOffset(current, level);
    const count = links[at];
    let n = 0;
    for (let j = 1; j <= count; j++) {
      mem.u32[ids0 + n++] = links[at + j];
    }
    if (n === 0) break;
    store.score(idsPtr, n, outPtr);
    const f32 = mem.f32;
    const u32 = mem.u32;
    for (let j = 0; j < n; j++) {
      if (f32[out0 + j] < best) {
        best = f32[out0 + j];
        current = u32[ids0 + j];
        changed = true;
      }
    }
  }
  scratch.entryDist = best;
  return current;
}
