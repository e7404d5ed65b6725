import { writePadded } from "../storage/f32-store.js";
import type { VectorStore } from "../storage/vector-store.js";
import type { HnswGraph } from "./hnsw-graph.js";
import { searchLayer } from "./layer-search.js";
import { type Pairwise, selectNeighbors } from "./pairwise.js";
import type { SearchScratch } from "./search-scratch.js";
import { sortPairs } from "./sort-pairs.js";

/**
 * How a node gets its links (hnswlib's insert and update steps): candidates by an
 * ef_construction search of a level, neighbours chosen by the heuristic, reverse links added and
 * full lists pruned, and, for an update, the lists around the node re-selected.
 */
export class LinkBuilder {
  constructor(
    private readonly graph: HnswGraph,
    private readonly store: VectorStore,
    private readonly pairwise: Pairwise,
    private readonly params: { m: number; efConstruction: number },
  ) {}

  /** The shared scratch of the store's memory, fitted by the index at the operation's start. */
  private get scratch(): SearchScratch {
    return this.store.mem.scratch.search;
  }

  /** ef_construction search on one level; leaves the results, minus `exclude`, sorted in scratch. */
  searchForLinks(entry: number, entryDist: number, level: number, exclude: number): number {
    const s = this.scratch;
    searchLayer(
      this.graph,
      this.store,
      s,
      entry,
      entryDist,
      this.params.efConstruction,
      level,
      false,
      undefined,
    );
    s.ensureSorted(s.results.size);
    let n = s.results.drainAscending(s.sortedIds, s.sortedDists);
    if (exclude >= 0) {
      let w = 0;
      for (let i = 0; i < n; i++) {
        if (s.sortedIds[i] === exclude) continue;
        s.sortedIds[w] = s.sortedIds[i];
        s.sortedDists[w++] = s.sortedDists[i];
      }
      n = w;
    }
    return n;
  }

  /**
   * With originals, neighbour selection compares exact distances; the candidates' distances to
   * the new vector must then be exact too (the search found them with the store's distances).
   */
  rescoreWithOriginals(v: Float32Array, n: number): void {
    if (this.pairwise.originals === undefined || n === 0) return;
    const s = this.scratch;
    writePadded(s.mem.f32, s.baseSlotPtr >>> 2, v, this.store.dim, this.store.floatDim);
    this.pairwise.fromIds(s.baseSlotPtr, s.sortedIds, n, s.sortedDists);
    sortPairs(s.sortedIds, s.sortedDists, n, s.sortHeap);
  }

  /**
   * Links `id` on `level` to the neighbours chosen among the n sorted candidates in scratch,
   * and adds the reverse links, pruning a neighbour's list when it is full.
   */
  connect(id: number, level: number, n: number, isUpdate: boolean): void {
    const graph = this.graph;
    const s = this.scratch;
    const kept = selectNeighbors(this.pairwise, s, s.sortedIds, s.sortedDists, n, this.params.m);
    graph.setLinks(id, level, s.selected, kept);
    const links = graph.linkArray(level);
    const at = graph.linkOffset(id, level);
    const maxLinks = graph.maxLinks(level);
    // Reads the node's own list, not scratch.selected, which pruning reuses.
    for (let j = 1; j <= kept; j++) {
      const nb = links[at + j];
      const nbAt = graph.linkOffset(nb, level);
      const count = links[nbAt];
      if (isUpdate && listHas(links, nbAt, id)) continue;
      if (count < maxLinks) {
        links[nbAt + 1 + count] = id;
        links[nbAt] = count + 1;
      } else {
        this.prune(nb, level, id);
      }
    }
  }

  /** Re-selects the full list of `owner` on `level` after adding `extra` to it. */
  private prune(owner: number, level: number, extra: number): void {
    const graph = this.graph;
    const s = this.scratch;
    const links = graph.linkArray(level);
    const at = graph.linkOffset(owner, level);
    const count = links[at];
    const ids = s.pruneIds;
    const dists = s.pruneDists;
    for (let j = 0; j < count; j++) ids[j] = links[at + 1 + j];
    ids[count] = extra;
    const n = count + 1;
    this.pairwise.fromIds(this.pairwise.baseOf(owner), ids, n, dists);
    sortPairs(ids, dists, n, s.sortHeap);
    const kept = selectNeighbors(this.pairwise, s, ids, dists, n, graph.maxLinks(level));
    graph.setLinks(owner, level, s.selected, kept);
  }

  /** Re-selects the lists of the neighbours of `id` on `level` from their 2-hop neighbourhood. */
  repairNeighbours(id: number, level: number): void {
    const graph = this.graph;
    const s = this.scratch;
    const links = graph.linkArray(level);
    const at = graph.linkOffset(id, level);
    const oneHopCount = links[at];
    if (oneHopCount === 0) return;
    // The node, its neighbours and theirs, each once (visited marks instead of a Set).
    const oneHop = s.oneHop;
    for (let j = 0; j < oneHopCount; j++) oneHop[j] = links[at + 1 + j];
    const epoch = s.visited.next();
    const tags = s.visited.tags;
    let count = 0;
    const add = (x: number) => {
      if (tags[x] === epoch) return;
      tags[x] = epoch;
      s.repairIds = grownU32(s.repairIds, count + 1);
      s.repairIds[count++] = x;
    };
    add(id);
    for (let j = 0; j < oneHopCount; j++) {
      add(oneHop[j]);
      const nbAt = graph.linkOffset(oneHop[j], level);
      for (let k = 1; k <= links[nbAt]; k++) add(links[nbAt + k]);
    }
    s.ensureSorted(count);
    const maxLinks = graph.maxLinks(level);
    for (let j = 0; j < oneHopCount; j++) {
      const nb = oneHop[j];
      const others = s.sortedIds;
      let n = 0;
      for (let i = 0; i < count; i++) if (s.repairIds[i] !== nb) others[n++] = s.repairIds[i];
      this.pairwise.fromIds(this.pairwise.baseOf(nb), others, n, s.sortedDists);
      n = sortPairs(others, s.sortedDists, n, s.sortHeap, this.params.efConstruction);
      const kept = selectNeighbors(this.pairwise, s, others, s.sortedDists, n, maxLinks);
      graph.setLinks(nb, level, s.selected, kept);
    }
  }
}

function grownU32(array: Uint32Array, length: number): Uint32Array {
  if (length <= array.length) return array;
  const out = new Uint32Array(Math.max(length, array.length * 2));
  out.set(array);
  return out;
}

function listHas(links: Uint32Array, at: number, id: number): boolean {
  const count = links[at];
  for (let j = 1; j <= count; j++) if (links[at + j] === id) return true;
  return false;
}
