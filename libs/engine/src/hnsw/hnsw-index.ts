import { EngineError, EngineErrorCode } from "../errors.js";
import { checkMetric, type Metric } from "../metric.js";
import { Rng } from "../random.js";
import {
  joinPieces,
  readSnapshot,
  type SnapshotPiece,
  snapshotPieces,
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
import { checkEf, checkK, VectorInput } from "../vector-input.js";
import { KernelWorkspace } from "../workspace/kernel-workspace.js";
import type { RegionSet } from "../workspace/region.js";
import { type GraphHeader, graphHeader, graphSections, restoreGraph } from "./graph-snapshot.js";
import { DELETED, HnswGraph } from "./hnsw-graph.js";
import { greedyDescent, searchLayer } from "./layer-search.js";
import { LinkBuilder } from "./link-builder.js";
import { Pairwise } from "./pairwise.js";
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

/** A graph grows by half when an id does not fit (it starts as large as its store's arena). */
const GROWTH = 1.5;

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
 *
 * The records and quantizer parameters are regions of a KernelWorkspace (given, or private);
 * the search scratch is the workspace memory's, shared with every index placed there.
 */
export class HnswIndex implements StoredIndex {
  readonly dim: number;
  readonly metric: Metric;
  readonly params: HnswParams;
  readonly store: VectorStore;
  readonly workspace: KernelWorkspace;
  private readonly home: RegionSet;
  private readonly graph: HnswGraph;
  private readonly input: VectorInput;
  private readonly rng: Rng;
  private readonly levelMult: number;
  private readonly links: LinkBuilder;
  /** Ids of one batch: an expanded node's neighbours (and the node itself in a repair). */
  private readonly batch: number;

  constructor(options: HnswOptions) {
    this.dim = checkDimension(options.dim);
    this.metric = checkMetric(options.metric);
    this.params = checkHnswParams(options);
    this.workspace = options.workspace ?? new KernelWorkspace();
    this.home = this.workspace.open();
    // without a capacity the store picks a small start (4 to 64 rows, ~4 KiB)
    const storage = options.storage ?? { kind: "f32" };
    this.store = createStore(
      this.home,
      this.dim,
      this.metric,
      storage,
      options.capacity || undefined,
    );
    this.graph = new HnswGraph(this.params.m);
    this.batch = this.graph.m0 + 1;
    const pairwise = new Pairwise(this.store, this.metric, options.originals);
    this.links = new LinkBuilder(this.graph, this.store, pairwise, this.params);
    this.input = new VectorInput(this.dim, this.metric, this.home);
    this.rng = new Rng(this.params.seed);
    this.levelMult = 1 / Math.log(this.params.m);
    this.reserve(this.store.capacity);
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
    this.checkLive();
    if (capacity <= this.graph.capacity) return;
    this.store.reserve(capacity);
    this.graph.reserve(capacity);
  }

  upsert(id: number, vector: ArrayLike<number>): void {
    this.checkLive();
    checkId(id);
    const v = this.input.take(vector);
    if (id >= this.graph.capacity) {
      this.reserve(Math.max(id + 1, Math.ceil(this.graph.capacity * GROWTH)));
    }
    this.scratch();
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
    this.checkLive();
    if (!this.has(id)) return false;
    this.graph.flags[id] |= DELETED;
    this.graph.deletedCount++;
    return true;
  }

  search(query: ArrayLike<number>, k: number, options: SearchOptions = {}): SearchResult {
    this.checkLive();
    checkK(k);
    const q = this.input.take(query, "query");
    const ef = Math.max(checkEf(options.ef) ?? this.params.efSearch, k);
    const graph = this.graph;
    if (this.size === 0)
      return { ids: new Uint32Array(0), distances: new Float32Array(0), distanceCount: 0 };
    const s = this.scratch();
    this.store.setQuery(q);
    const current = this.descend(s, 0);
    const dist = s.entryDist;
    const computed = searchLayer(graph, this.store, s, current, dist, ef, 0, true, options.filter);
    const results = s.results;
    const n = Math.min(k, results.size);
    const ids = new Uint32Array(n);
    const distances = new Float32Array(n);
    results.drainAscending(ids, distances, n);
    return { ids, distances, distanceCount: computed + 1 };
  }

  memoryUsage(): MemoryUsage {
    return storedMemoryUsage(this.store, this.graph.bytes());
  }

  /** Frees the index's regions (records, parameters) and arrays; later calls throw. */
  dispose(): void {
    if (this.home.disposed) return;
    this.home.dispose();
    this.graph.clear();
  }

  get disposed(): boolean {
    return this.home.disposed;
  }

  private checkLive(): void {
    if (this.home.disposed)
      throw new EngineError(
        EngineErrorCode.Disposed,
        "the index was disposed: its memory is freed",
      );
  }

  /** The shared scratch of the index's memory, fitted to this index (start of an operation). */
  private scratch(): SearchScratch {
    const kind = this.store.kind;
    return this.home.mem.scratch.search.fit(
      this.batch,
      this.store.floatDim,
      kind !== "f32",
      this.graph.capacity,
    );
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
    const s = this.home.mem.scratch.search;
    this.store.setQuery(v);
    let current = this.descend(s, level);
    let dist = s.entryDist;
    for (let l = Math.min(level, graph.maxLevel); l >= 0; l--) {
      const n = this.links.searchForLinks(current, dist, l, -1);
      current = s.sortedIds[0];
      dist = s.sortedDists[0];
      this.links.rescoreWithOriginals(v, n);
      this.links.connect(id, l, n, false);
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
    for (let l = 0; l <= level; l++) this.links.repairNeighbours(id, l);

    const s = this.home.mem.scratch.search;
    this.store.setQuery(v);
    let current = this.descend(s, level);
    let dist = s.entryDist;
    for (let l = level; l >= 0; l--) {
      const n = this.links.searchForLinks(current, dist, l, id);
      if (n === 0) continue;
      current = s.sortedIds[0];
      dist = s.sortedDists[0];
      this.links.rescoreWithOriginals(v, n);
      this.links.connect(id, l, n, true);
    }
  }

  /** Greedy descent from the entry point to `level` + 1 for the prepared query. */
  private descend(s: SearchScratch, level: number): number {
    const entry = this.graph.entry;
    return greedyDescent(this.graph, this.store, s, entry, this.distanceTo(s, entry), level);
  }

  private distanceTo(s: SearchScratch, id: number): number {
    const mem = s.mem;
    mem.u32[s.idsPtr >>> 2] = id;
    this.store.score(s.idsPtr, 1, s.outPtr);
    return mem.f32[s.outPtr >>> 2];
  }

  private randomLevel(): number {
    const level = Math.floor(-Math.log(1 - this.rng.next()) * this.levelMult);
    return Math.min(level, MAX_LEVEL);
  }

  /** A compact binary snapshot: parameters, quantizer, records and graph of ids < idBound. */
  serialize(): Uint8Array {
    return joinPieces(this.snapshotPieces());
  }

  /** The snapshot as pieces to write one by one (views: change nothing until written). */
  snapshotPieces(): SnapshotPiece[] {
    this.checkLive();
    const n = this.graph.idBound;
    return snapshotPieces(
      SNAPSHOT_MAGIC,
      SNAPSHOT_VERSION,
      {
        dim: this.dim,
        metric: this.metric,
        store: this.store.kind,
        ...this.params,
        rng: this.rng.state(),
        graph: graphHeader(this.graph),
      },
      [
        { name: "quantizer", bytes: this.store.parameters() },
        { name: "records", bytes: () => this.store.recordBytesView(n) },
        ...graphSections(this.graph),
      ],
    );
  }

  /**
   * Restores a snapshot into `workspace` (else a private one); `originals` as for the
   * constructor (they are not part of a snapshot).
   */
  static deserialize(
    bytes: Uint8Array,
    options: { capacity?: number; originals?: OriginalsSource; workspace?: KernelWorkspace } = {},
  ): HnswIndex {
    const snap = readSnapshot(bytes, SNAPSHOT_MAGIC, [SNAPSHOT_VERSION]);
    const h = snap.header;
    const dim = h.dim as number;
    const graph = h.graph as GraphHeader;
    const n = graph.idBound;
    const index = new HnswIndex({
      dim,
      metric: h.metric as Metric,
      m: h.m as number,
      efConstruction: h.efConstruction as number,
      efSearch: h.efSearch as number,
      seed: h.seed as number,
      storage: storeSpecFromParameters(String(h.store), dim, snap.section("quantizer")),
      capacity: Math.max(n, options.capacity ?? 0),
      originals: options.originals,
      workspace: options.workspace,
    });
    index.store.loadRecords(snap.section("records", n * index.store.recordBytes), n);
    restoreGraph(index.graph, graph, snap);
    index.rng.setState(h.rng as number[]);
    return index;
  }
}
