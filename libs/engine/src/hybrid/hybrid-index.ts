import { EngineError, EngineErrorCode, invalidConfig } from "../errors.js";
import type { KernelMemory } from "../kernels/kernel-memory.js";
import type { Metric } from "../metric.js";
import { writePadded } from "../storage/f32-store.js";
import { checkIntInRange } from "../vector-checks.js";
import {
  memoryUsage,
  type MemoryUsage,
  type SearchOptions,
  type SearchResult,
  type StoredIndex,
  type VectorIndex,
} from "../vector-index.js";
import { checkEf, checkK, VectorInput } from "../vector-input.js";
import type { KernelWorkspace } from "../workspace/kernel-workspace.js";
import type { RegionSet } from "../workspace/region.js";
import type { SharedScratch } from "../workspace/shared-scratch.js";
import { CachedOriginals } from "./cached-originals.js";
import { type OriginalsSource, readOriginals } from "./originals-source.js";

export const HYBRID_DEFAULTS = { rerankTopK: 100 } as const;

export interface HybridSearchOptions extends SearchOptions {
  /** Candidates taken from the quantized index and rescored in float32 (at least k). */
  rerankTopK?: number;
}

export interface HybridOptions {
  /** The quantized index searched first (HNSW or flat over scalar or PQ codes). */
  quantized: StoredIndex;
  /** Where the float32 originals are read; a CachedOriginals is scored in place. */
  originals: OriginalsSource;
  rerankTopK?: number;
  /** The workspace of the rerank's scratch; the quantized index's by default. */
  workspace?: KernelWorkspace;
}

/** Candidates rescored per kernel call. */
const CHUNK = 64;

/**
 * Search on codes, then rerank the best `rerankTopK` candidates with exact float32 distances to
 * their originals: the memory of the quantized index with (nearly) the precision of float32.
 * Originals are written by the owner of the source (e.g. the shard's store), not by this index.
 *
 * The rerank runs in a kernel memory of the workspace, a chunk of candidates per kernel call:
 * through a CachedOriginals, in the cache's memory, where a cached row is scored where it lies
 * and only the misses are read (in one batch per chunk) into the shared rerank rows; through any
 * other source, every candidate is read that way. The rerank starts after the quantized search
 * has returned, so it never shares a scratch buffer with it.
 */
export class HybridIndex implements VectorIndex {
  readonly dim: number;
  readonly metric: Metric;
  readonly quantized: StoredIndex;
  readonly originals: OriginalsSource;
  readonly rerankTopK: number;
  readonly workspace: KernelWorkspace;
  /** The memory the rerank runs in without a cache (holds no region). */
  private readonly home: RegionSet;
  private readonly cache: CachedOriginals | undefined;
  private readonly floatDim: number;
  private readonly input: VectorInput;
  /** Misses of the last chunk, in `missIds`/`found`, that `admitMisses` caches. */
  private missCount = 0;
  private disposedState = false;

  constructor(options: HybridOptions) {
    this.quantized = options.quantized;
    this.originals = options.originals;
    this.dim = this.quantized.dim;
    this.metric = this.quantized.metric;
    if (this.originals.dim !== this.dim) {
      throw invalidConfig(
        "originals",
        `dimension ${this.originals.dim} differs from the index's ${this.dim}`,
      );
    }
    this.rerankTopK = checkIntInRange(
      options.rerankTopK ?? HYBRID_DEFAULTS.rerankTopK,
      "rerank_top_k",
      1,
      100_000,
    );
    this.floatDim = Math.ceil(this.dim / 4) * 4;
    this.workspace = options.workspace ?? this.quantized.workspace;
    this.cache = this.originals instanceof CachedOriginals ? this.originals : undefined;
    this.home = this.cache?.home ?? this.workspace.open();
    this.input = new VectorInput(this.dim, this.metric, this.home);
  }

  get size(): number {
    return this.quantized.size;
  }

  has(id: number): boolean {
    return this.quantized.has(id);
  }

  /** Upserts into the quantized index and forgets a cached original of `id`. */
  upsert(id: number, vector: ArrayLike<number>): void {
    this.quantized.upsert(id, vector);
    this.cache?.invalidate(id);
  }

  delete(id: number): boolean {
    this.cache?.invalidate(id);
    return this.quantized.delete(id);
  }

  search(query: ArrayLike<number>, k: number, options: HybridSearchOptions = {}): SearchResult {
    return this.rerank(query, this.candidates(query, k, options), k);
  }

  /** The first step of a search: the best `rerankTopK` (at least k) by the quantized index. */
  candidates(query: ArrayLike<number>, k: number, options: HybridSearchOptions = {}): SearchResult {
    this.checkLive();
    checkK(k);
    const rerankTopK = Math.max(k, checkEf(options.rerankTopK, "rerank_top_k") ?? this.rerankTopK);
    return this.quantized.search(query, rerankTopK, {
      ef: Math.max(checkEf(options.ef) ?? 0, rerankTopK),
      filter: options.filter,
    });
  }

  /** The second step: the k best of `candidates` by exact float32 distance to their originals. */
  rerank(query: ArrayLike<number>, candidates: SearchResult, k: number): SearchResult {
    this.checkLive();
    checkK(k);
    // Validated again by the quantized index's search; normalised here for cosine.
    const q = this.input.take(query, "query");
    const mem = this.home.mem;
    const s = mem.scratch;
    const rowBytes = this.floatDim * 4;
    // query, then CHUNK row pointers and CHUNK distances; the rows apart
    const queryPtr = s.rerankQuery.fit(rowBytes + CHUNK * 8);
    const ptrsPtr = queryPtr + rowBytes;
    const outPtr = ptrsPtr + CHUNK * 4;
    const rowsPtr = s.rerankRows.fit(CHUNK * rowBytes);
    writePadded(mem.f32, queryPtr >>> 2, q, this.dim, this.floatDim);
    const heap = s.rerankHeap;
    heap.clear();
    const chunkIds = s.rowIds(CHUNK);
    const total = candidates.ids.length;
    for (let start = 0; start < total; start += CHUNK) {
      const m = Math.min(CHUNK, total - start);
      const n = this.gather(mem, s, candidates.ids, start, m, ptrsPtr, rowsPtr);
      this.rescore(mem, queryPtr, ptrsPtr, n, outPtr);
      const f32 = mem.f32;
      const out0 = outPtr >>> 2;
      for (let j = 0; j < n; j++) {
        const d = f32[out0 + j];
        if (heap.size < k) heap.push(d, chunkIds[j]);
        else if (d < heap.topDist()) heap.replaceTop(d, chunkIds[j]);
      }
      if (this.cache !== undefined) this.admitMisses(s, rowsPtr);
    }
    const n = Math.min(k, heap.size);
    const ids = new Uint32Array(n);
    const distances = new Float32Array(n);
    heap.drainAscending(ids, distances, n);
    return { ids, distances, distanceCount: candidates.distanceCount + total };
  }

  /**
   * Points the chunk ids[start, start+m) at their rows: cached rows where they are, the others
   * read from the source into the rerank rows (one batch). Leaves the ids found in rowIds and
   * their row offsets at ptrsPtr; returns how many were found.
   */
  private gather(
    mem: KernelMemory,
    s: SharedScratch,
    ids: Uint32Array,
    start: number,
    m: number,
    ptrsPtr: number,
    rowsPtr: number,
  ): number {
    const chunkIds = s.rowIds(CHUNK);
    const missIds = s.missIds(CHUNK);
    const found = s.found(CHUNK);
    const u32 = mem.u32;
    const p0 = ptrsPtr >>> 2;
    let n = 0;
    let misses = 0;
    for (let i = 0; i < m; i++) {
      const id = ids[start + i];
      const at = this.cache !== undefined ? this.cache.rowOffset(id) : -1;
      if (at >= 0) {
        u32[p0 + n] = at;
        chunkIds[n++] = id;
      } else missIds[misses++] = id;
    }
    this.missCount = misses;
    if (misses === 0) return n;
    const source = this.cache?.source ?? this.originals;
    readOriginals(source, missIds, misses, mem.f32, rowsPtr >>> 2, this.floatDim, found);
    const f32 = mem.f32;
    const rowBytes = this.floatDim * 4;
    for (let j = 0; j < misses; j++) {
      if (found[j] === 0) continue;
      const row = rowsPtr + j * rowBytes;
      // the rows are shared scratch: clear the padding the kernels read
      for (let d = this.dim; d < this.floatDim; d++) f32[(row >>> 2) + d] = 0;
      mem.u32[p0 + n] = row;
      chunkIds[n++] = missIds[j];
    }
    return n;
  }

  /** Caches the rows the last chunk read (after it was scored: admitting may move rows). */
  private admitMisses(s: SharedScratch, rowsPtr: number): void {
    const missIds = s.missIds(CHUNK);
    const found = s.found(CHUNK);
    const rowBytes = this.floatDim * 4;
    for (let j = 0; j < this.missCount; j++)
      if (found[j] === 1) this.cache!.admit(missIds[j], rowsPtr + j * rowBytes);
  }

  /** out[i] = distance(query, row at ptrs[i]) in one kernel call (rows are byte offsets). */
  private rescore(mem: KernelMemory, q: number, ptrs: number, n: number, out: number): void {
    if (n === 0) return;
    const k = mem.kernels;
    const dim = this.floatDim;
    if (this.metric === "l2") k.l2_f32_batch(q, ptrs, n, 0, 1, dim, out);
    else if (this.metric === "dot") k.dot_f32_batch(q, ptrs, n, 0, 1, dim, 0, out);
    else k.cosine_f32_batch(q, ptrs, n, 0, 1, dim, out);
  }

  memoryUsage(): MemoryUsage {
    const inner = this.quantized.memoryUsage();
    return memoryUsage({
      vectors: inner.vectors,
      quantizer: inner.quantizer,
      graph: inner.graph,
      originals: this.originals.residentBytes(),
      other: inner.other,
    });
  }

  /**
   * Frees what the hybrid holds of its own (nothing beyond the rerank's place in the
   * workspace): the quantized index and the originals (a cache too) belong to their creator.
   */
  dispose(): void {
    if (this.cache === undefined) this.home.dispose();
    this.disposedState = true;
  }

  private checkLive(): void {
    if (this.disposedState)
      throw new EngineError(
        EngineErrorCode.Disposed,
        "the index was disposed: its memory is freed",
      );
  }
}
