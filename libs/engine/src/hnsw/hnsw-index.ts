import { EngineError, EngineErrorCode } from "../errors.js";
import { KernelMemory } from "../kernels/kernel-memory.js";
import { checkMetric, type Metric } from "../metric.js";
import { Rng } from "../random.js";
import {
  bytesOf,
  i32From,
  readSnapshot,
  u32From,
  writeSnapshot,
} from "../snapshot/snapshot-format.js";
import { createStore, storeSpecFromParameters } from "../storage/create-store.js";
import type { VectorStore } from "../storage/vector-store.js";
import type { OriginalsSource } from "../hybrid/originals-source.js";
import { checkDimension, checkId, checkIntInRange } from "../vector-checks.js";
import {
  type MemoryUsage,
  type SearchOptions,
  type SearchResult,
  type StoredIndex,
  storedMemoryUsage,
  type StoredIndexOptions,
} from "../vector-index.js";
import { checkK, VectorInput } from "../vector-input.js";
import { DELETED, HnswGraph } from "./hnsw-graph.js";
import { greedyDescent, searchLayer } from "./layer-search.js";
import { Pairwise, selectNeighbors } from "./pairwise.js";
import { SearchScratch } from "./search-scratch.js";

export interface HnswParams {
  /** Links per node on levels >= 1 (2M on level 0). */
  m: number;
  /** Candidate list size while inserting. */
  efConstruction: number;
  /** Default candidate list size while searching. */
  efSearch: number;
  /** Seed of the level generator: the same inserts in the same order give the same graph. */
  seed: number;
}

export const HNSW_DEFAULTS: HnswParams = { m: 16, efConstruction: 200, efSearch: 64, seed: 100 };

export interface HnswOptions extends Partial<HnswParams>, StoredIndexOptions {
  /**
   * Float32 originals of a quantized index's vectors, read to choose links with exact distances
   * while building. Recommended for product quantization, whose reconstructions can be too
   * coarse to tell neighbours apart (near-duplicate reconstructions make the neighbour heuristic
   * prune the graph apart). Without it, links are chosen on reconstructions.
   */
  originals?: OriginalsSource;
}

const SNAPSHOT_MAGIC = "QVHN";
const SNAPSHOT_VERSION = 1;
const MAX_LEVEL = 32;

export function checkHnswParams(p: Partial<HnswParams>): HnswParams {
  return {
    m: checkIntInRange(p.m ?? HNSW_DEFAULTS.m, "m", 2, 128),
    efConstruction: checkIntInRange(
      p.efConstruction ?? HNSW_DEFAULTS.efConstruction,
      "ef_construction",
      1,
      10_000,
    ),
    efSearch: checkIntInRange(p.efSearch ?? HNSW_DEFAULTS.efSearch, "ef_search", 1, 100_000),
    seed: p.seed ?? HNSW_DEFAULTS.seed,
  };
}

/**
 * Hierarchical navigable small world graph (Malkov & Yashunin; hnswlib's algorithms) over any
 * VectorStore. The graph sees ids and batch distances only; the store decides what a vector is
 * (float32, 8-bit codes, PQ codes). Inserts, updates (the links around the node are repaired),
 * deletes (a tombstone: traversed, never returned) and filtered search.
 */
export class HnswIndex implements StoredIndex {
  readonly dim: number;
  readonly metric: Metric;
  readonly params: HnswParams;
  readonly store: VectorStore;
  private readonly graph: HnswGraph;
  private readonly scratch: SearchScratch;
  private readonly pairwise: Pairwise;
  private readonly input: VectorInput;
  private readonly rng: Rng;
  private readonly levelMult: number;

  constructor(options: HnswOptions) {
    this.dim = checkDimension(options.dim);
    this.metric = checkMetric(options.metric);
    this.params = checkHnswParams(options);
    const mem = new KernelMemory();
    this.store = createStore(mem, this.dim, this.metric, options.storage ?? { kind: "f32" });
    this.graph = new HnswGraph(this.params.m);
    this.scratch = new SearchScratch(this.store, this.graph.m0 + 1);
    this.pairwise = new Pairwise(this.store, this.scratch, this.metric, options.originals);
    this.input = new VectorInput(this.dim, this.metric);
    this.rng = new Rng(this.params.seed);
    this.levelMult = 1 / Math.log(this.params.m);
    if (options.capacity) this.reserve(options.capacity);
  }

  get size(): number {
    return this.graph.nodeCount - this.graph.deletedCount;
  }

  get capacity(): number {
    return this.graph.capacity;
  }

  has(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && this.graph.has(id) && !this.graph.isDeleted(id);
  }

  reserve(capacity: number): void {
    if (capacity <= this.graph.capacity) return;
    this.store.reserve(capacity);
    this.graph.reserve(capacity);
    this.scratch.visited.reserve(capacity);
  }

  upsert(id: number, vector: ArrayLike<number>): void {
    checkId(id);
    const v = this.input.take(vector);
    if (id >= this.graph.capacity) {
      this.reserve(Math.max(id + 1, Math.ceil(this.graph.capacity * 1.5), 1024));
    }
    if (!this.graph.has(id)) {
      this.insert(id, v);
      return;
    }
    if (this.graph.isDeleted(id)) {
      this.graph.flags[id] &= ~DELETED;
      this.graph.deletedCount--;
    }
    this.update(id, v);
  }

  delete(id: number): boolean {
    if (!this.has(id)) return false;
    this.graph.flags[id] |= DELETED;
    this.graph.deletedCount++;
    return true;
  }

  search(query: ArrayLike<number>, k: number, options: SearchOptions = {}): SearchResult {
    checkK(k);
    const q = this.input.take(query, "query");
    const ef = Math.max(options.ef ?? this.params.efSearch, k);
    const graph = this.graph;
    if (this.size === 0)
      return { ids: new Uint32Array(0), distances: new Float32Array(0), distanceCount: 0 };
    this.store.setQuery(q);
    const current = this.descend(0);
    const dist = this.scratch.entryDist;
    const computed = searchLayer(
      graph,
      this.store,
      this.scratch,
      current,
      dist,
      ef,
      0,
      true,
      options.filter,
    );
    const results = this.scratch.results;
    const n = Math.min(k, results.size);
    const ids = new Uint32Array(n);
    const distances = new Float32Array(n);
    results.drainAscending(ids, distances, n);
    return { ids, distances, distanceCount: computed + 1 };
  }

  memoryUsage(): MemoryUsage {
    return storedMemoryUsage(this.store, this.graph.bytes(), this.scratch.bytes() + this.dim * 4);
  }

  private insert(id: number, v: Float32Array): void {
    const graph = this.graph;
    const level = this.randomLevel();
    this.store.set(id, v);
    graph.addNode(id, level);
    if (graph.entry < 0) {
      graph.entry = id;
      graph.maxLevel = level;
      return;
    }
    this.store.setQuery(v);
    let current = this.descend(level);
    let dist = this.scratch.entryDist;
    for (let l = Math.min(level, graph.maxLevel); l >= 0; l--) {
      const n = this.searchForLinks(current, dist, l, -1);
      current = this.scratch.sortedIds[0];
      dist = this.scratch.sortedDists[0];
      this.rescoreWithOriginals(v, n);
      this.connect(id, l, n, false);
    }
    if (level > graph.maxLevel) {
      graph.entry = id;
      graph.maxLevel = level;
    }
  }

  /**
   * Replaces the vector of `id` and repairs the graph around it (hnswlib's updatePoint): the
   * lists of its neighbours are re-selected from their 1- and 2-hop neighbourhoods, then its own
   * links are searched again from the entry point.
   */
  private update(id: number, v: Float32Array): void {
    const graph = this.graph;
    this.store.set(id, v);
    if (graph.nodeCount === 1) return;
    const level = graph.levels[id];
    for (let l = 0; l <= level; l++) this.repairNeighbours(id, l);

    this.store.setQuery(v);
    let current = this.descend(level);
    let dist = this.scratch.entryDist;
    for (let l = level; l >= 0; l--) {
      const n = this.searchForLinks(current, dist, l, id);
      if (n === 0) continue;
      current = this.scratch.sortedIds[0];
      dist = this.scratch.sortedDists[0];
      this.rescoreWithOriginals(v, n);
      this.connect(id, l, n, true);
    }
  }

  /** ef_construction search on one level; leaves the results, minus `exclude`, sorted in scratch. */
  private searchForLinks(entry: number, entryDist: number, level: number, exclude: number): number {
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
  private rescoreWithOriginals(v: Float32Array, n: number): void {
    if (this.pairwise.originals === undefined || n === 0) return;
    const s = this.scratch;
    s.mem.f32.set(v, s.baseSlotPtr >> 2);
    this.pairwise.fromIds(s.baseSlotPtr, s.sortedIds, n, s.sortedDists);
    sortPairs(s.sortedIds, s.sortedDists, n);
  }

  /**
   * Links `id` on `level` to the neighbours chosen among the n sorted candidates in scratch,
   * and adds the reverse links, pruning a neighbour's list when it is full.
   */
  private connect(id: number, level: number, n: number, isUpdate: boolean): void {
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
    sortPairs(ids, dists, n);
    const kept = selectNeighbors(this.pairwise, s, ids, dists, n, graph.maxLinks(level));
    graph.setLinks(owner, level, s.selected, kept);
  }

  /** Re-selects the lists of the neighbours of `id` on `level` from their 2-hop neighbourhood. */
  private repairNeighbours(id: number, level: number): void {
    const graph = this.graph;
    const links = graph.linkArray(level);
    const at = graph.linkOffset(id, level);
    const oneHop = Array.from(links.subarray(at + 1, at + 1 + links[at]));
    if (oneHop.length === 0) return;
    const candidates = new Set<number>([id, ...oneHop]);
    for (const nb of oneHop) {
      const nbAt = graph.linkOffset(nb, level);
      for (let j = 1; j <= links[nbAt]; j++) candidates.add(links[nbAt + j]);
    }
    const maxLinks = graph.maxLinks(level);
    const s = this.scratch;
    for (const nb of oneHop) {
      const others = Uint32Array.from([...candidates].filter((c) => c !== nb));
      const dists = new Float32Array(others.length);
      this.pairwise.fromIds(this.pairwise.baseOf(nb), others, others.length, dists);
      sortPairs(others, dists, others.length);
      const n = Math.min(others.length, this.params.efConstruction);
      const kept = selectNeighbors(this.pairwise, s, others, dists, n, maxLinks);
      graph.setLinks(nb, level, s.selected, kept);
    }
  }

  /** Greedy descent from the entry point to `level` + 1 for the prepared query. */
  private descend(level: number): number {
    const entry = this.graph.entry;
    return greedyDescent(
      this.graph,
      this.store,
      this.scratch,
      entry,
      this.distanceTo(entry),
      level,
    );
  }

  private distanceTo(id: number): number {
    const s = this.scratch;
    const mem = s.mem;
    mem.u32[s.idsPtr >> 2] = id;
    this.store.score(s.idsPtr, 1, s.outPtr);
    return mem.f32[s.outPtr >> 2];
  }

  private randomLevel(): number {
    const level = Math.floor(-Math.log(1 - this.rng.next()) * this.levelMult);
    return Math.min(level, MAX_LEVEL);
  }

  /** A compact binary snapshot: parameters, quantizer, records and graph of ids < idBound. */
  serialize(): Uint8Array {
    const g = this.graph;
    const n = g.idBound;
    return writeSnapshot(
      SNAPSHOT_MAGIC,
      SNAPSHOT_VERSION,
      {
        dim: this.dim,
        metric: this.metric,
        store: this.store.kind,
        m: this.params.m,
        efConstruction: this.params.efConstruction,
        efSearch: this.params.efSearch,
        seed: this.params.seed,
        rng: this.rng.state(),
        entry: g.entry,
        maxLevel: g.maxLevel,
        idBound: n,
        nodeCount: g.nodeCount,
        deletedCount: g.deletedCount,
        upperUsed: g.upperUsed,
      },
      [
        { name: "quantizer", bytes: this.store.parameters() },
        { name: "records", bytes: this.store.recordBytesView(n) },
        { name: "links0", bytes: bytesOf(g.links0, n * g.stride0 * 4) },
        { name: "upper", bytes: bytesOf(g.upper, g.upperUsed * 4) },
        { name: "upperOffset", bytes: bytesOf(g.upperOffset, n * 4) },
        { name: "levels", bytes: bytesOf(g.levels, n) },
        { name: "flags", bytes: bytesOf(g.flags, n) },
      ],
    );
  }

  static deserialize(bytes: Uint8Array, options: { capacity?: number } = {}): HnswIndex {
    const snap = readSnapshot(bytes, SNAPSHOT_MAGIC, [SNAPSHOT_VERSION]);
    const h = snap.header;
    const dim = h.dim as number;
    const n = h.idBound as number;
    const index = new HnswIndex({
      dim,
      metric: h.metric as Metric,
      m: h.m as number,
      efConstruction: h.efConstruction as number,
      efSearch: h.efSearch as number,
      seed: h.seed as number,
      storage: storeSpecFromParameters(String(h.store), dim, snap.section("quantizer")),
      capacity: Math.max(n, options.capacity ?? 0),
    });
    const g = index.graph;
    const expect = (name: string, length: number): Uint8Array => {
      const section = snap.section(name);
      if (section.byteLength !== length) {
        throw new EngineError(
          EngineErrorCode.InvalidSnapshot,
          `snapshot section "${name}" has the wrong size`,
          {
            section: name,
            expected: length,
            actual: section.byteLength,
          },
        );
      }
      return section;
    };
    const upperUsed = h.upperUsed as number;
    index.store.loadRecords(expect("records", n * index.store.recordBytes), n);
    g.links0.set(u32From(expect("links0", n * g.stride0 * 4)));
    g.upper = u32From(expect("upper", upperUsed * 4));
    g.upperUsed = upperUsed;
    g.upperOffset.set(i32From(expect("upperOffset", n * 4)));
    g.levels.set(expect("levels", n));
    g.flags.set(expect("flags", n));
    g.entry = h.entry as number;
    g.maxLevel = h.maxLevel as number;
    g.idBound = n;
    g.nodeCount = h.nodeCount as number;
    g.deletedCount = h.deletedCount as number;
    index.rng.setState(h.rng as number[]);
    index.checkLinks();
    return index;
  }

  /** Rejects a snapshot whose links point outside the graph (corruption would crash searches). */
  private checkLinks(): void {
    const g = this.graph;
    const bad = (why: string): EngineError =>
      new EngineError(EngineErrorCode.InvalidSnapshot, `snapshot graph is inconsistent: ${why}`);
    if (g.nodeCount > 0 && (g.entry < 0 || g.entry >= g.idBound || !g.has(g.entry)))
      throw bad("entry point");
    for (let id = 0; id < g.idBound; id++) {
      if (!g.has(id)) continue;
      for (let l = 0; l <= g.levels[id]; l++) {
        if (
          l > 0 &&
          (g.upperOffset[id] < 0 || g.upperOffset[id] + l * g.strideUpper > g.upperUsed)
        ) {
          throw bad(`upper links of ${id}`);
        }
        const links = g.linkArray(l);
        const at = g.linkOffset(id, l);
        const count = links[at];
        if (count > g.maxLinks(l)) throw bad(`link count of ${id}`);
        for (let j = 1; j <= count; j++)
          if (!g.has(links[at + j])) throw bad(`link ${id} -> ${links[at + j]}`);
      }
    }
  }
}

function listHas(links: Uint32Array, at: number, id: number): boolean {
  const count = links[at];
  for (let j = 1; j <= count; j++) if (links[at + j] === id) return true;
  return false;
}

/** Sorts (ids, dists)[0..n) by ascending distance (short lists: insertion sort). */
function sortPairs(ids: Uint32Array, dists: Float32Array, n: number): void {
  if (n > 64) {
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => dists[a] - dists[b]);
    const sortedIds = order.map((i) => ids[i]);
    const sortedDists = order.map((i) => dists[i]);
    ids.set(sortedIds);
    dists.set(sortedDists);
    return;
  }
  for (let i = 1; i < n; i++) {
    const id = ids[i];
    const d = dists[i];
    let j = i - 1;
    while (j >= 0 && dists[j] > d) {
      ids[j + 1] = ids[j];
      dists[j + 1] = dists[j];
      j--;
    }
    ids[j + 1] = id;
    dists[j + 1] = d;
  }
}
