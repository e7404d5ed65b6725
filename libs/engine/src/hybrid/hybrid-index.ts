import { invalidConfig } from "../errors.js";
import { KernelMemory } from "../kernels/kernel-memory.js";
import { MaxHeap } from "../hnsw/heaps.js";
import type { Metric } from "../metric.js";
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
import type { OriginalsSource } from "./originals-source.js";

export const HYBRID_DEFAULTS = { rerankTopK: 100 } as const;

export interface HybridSearchOptions extends SearchOptions {
  /** Candidates taken from the quantized index and rescored in float32 (at least k). */
  rerankTopK?: number;
}

export interface HybridOptions {
  /** The quantized index searched first (HNSW or flat over scalar or PQ codes). */
  quantized: StoredIndex;
  originals: OriginalsSource;
  rerankTopK?: number;
}

const CHUNK = 64;

/**
 * Search on codes, then rerank the best `rerankTopK` candidates with exact float32 distances to
 * their originals: the memory of the quantized index with (nearly) the precision of float32.
 * Originals are written by the owner of the source (e.g. the shard's store), not by this index.
 */
export class HybridIndex implements VectorIndex {
  readonly dim: number;
  readonly metric: Metric;
  readonly quantized: StoredIndex;
  readonly originals: OriginalsSource;
  readonly rerankTopK: number;
  private readonly mem: KernelMemory;
  private readonly queryPtr: number;
  private readonly idsPtr: number;
  private readonly outPtr: number;
  private readonly vectorsPtr: number;
  private readonly floatDim: number;
  private readonly input: VectorInput;
  private readonly heap = new MaxHeap(128);
  private readonly chunkIds = new Uint32Array(CHUNK);

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
    this.mem = new KernelMemory();
    this.queryPtr = this.mem.alloc(this.floatDim * 4);
    this.idsPtr = this.mem.alloc(CHUNK * 4);
    this.outPtr = this.mem.alloc(CHUNK * 4);
    this.vectorsPtr = this.mem.alloc(CHUNK * this.floatDim * 4);
    for (let i = 0; i < CHUNK; i++) this.mem.u32[(this.idsPtr >> 2) + i] = i;
    this.input = new VectorInput(this.dim, this.metric);
  }

  get size(): number {
    return this.quantized.size;
  }

  has(id: number): boolean {
    return this.quantized.has(id);
  }

  upsert(id: number, vector: ArrayLike<number>): void {
    this.quantized.upsert(id, vector);
  }

  delete(id: number): boolean {
    return this.quantized.delete(id);
  }

  search(query: ArrayLike<number>, k: number, options: HybridSearchOptions = {}): SearchResult {
    return this.rerank(query, this.candidates(query, k, options), k);
  }

  /** The first step of a search: the best `rerankTopK` (at least k) by the quantized index. */
  candidates(query: ArrayLike<number>, k: number, options: HybridSearchOptions = {}): SearchResult {
    checkK(k);
    const rerankTopK = Math.max(k, checkEf(options.rerankTopK, "rerank_top_k") ?? this.rerankTopK);
    return this.quantized.search(query, rerankTopK, {
      ef: Math.max(checkEf(options.ef) ?? 0, rerankTopK),
      filter: options.filter,
    });
  }

  /** The second step: the k best of `candidates` by exact float32 distance to their originals. */
  rerank(query: ArrayLike<number>, candidates: SearchResult, k: number): SearchResult {
    checkK(k);
    // Validated again by the quantized index's search; normalised here for cosine.
    const q = this.input.take(query, "query");
    const mem = this.mem;
    mem.f32.set(q, this.queryPtr >> 2);
    const heap = this.heap;
    heap.clear();
    const total = candidates.ids.length;
    for (let start = 0; start < total; start += CHUNK) {
      const n = this.readOriginals(candidates.ids, start, Math.min(CHUNK, total - start));
      this.rescore(n);
      const f32 = mem.f32;
      const out0 = this.outPtr >> 2;
      const ids = this.chunkIds;
      for (let j = 0; j < n; j++) {
        const d = f32[out0 + j];
        if (heap.size < k) heap.push(d, ids[j]);
        else if (d < heap.topDist()) heap.replaceTop(d, ids[j]);
      }
    }
    const n = Math.min(k, heap.size);
    const ids = new Uint32Array(n);
    const distances = new Float32Array(n);
    heap.drainAscending(ids, distances, n);
    return { ids, distances, distanceCount: candidates.distanceCount + total };
  }

  /**
   * Copies the originals of ids[start, start+n) into the chunk buffer and their ids into
   * chunkIds; returns how many were found.
   */
  private readOriginals(ids: Uint32Array, start: number, n: number): number {
    const f32 = this.mem.f32;
    let read = 0;
    for (let i = 0; i < n; i++) {
      const id = ids[start + i];
      if (this.originals.read(id, f32, (this.vectorsPtr >> 2) + read * this.floatDim))
        this.chunkIds[read++] = id;
    }
    return read;
  }

  private rescore(n: number): void {
    const k = this.mem.kernels;
    const stride = this.floatDim * 4;
    if (this.metric === "l2") {
      k.l2_f32_batch(
        this.queryPtr,
        this.idsPtr,
        n,
        this.vectorsPtr,
        stride,
        this.floatDim,
        this.outPtr,
      );
    } else if (this.metric === "dot") {
      k.dot_f32_batch(
        this.queryPtr,
        this.idsPtr,
        n,
        this.vectorsPtr,
        stride,
        this.floatDim,
        0,
        this.outPtr,
      );
    } else {
      k.cosine_f32_batch(
        this.queryPtr,
        this.idsPtr,
        n,
        this.vectorsPtr,
        stride,
        this.floatDim,
        this.outPtr,
      );
    }
  }

  memoryUsage(): MemoryUsage {
    const inner = this.quantized.memoryUsage();
    return memoryUsage({
      vectors: inner.vectors,
      quantizer: inner.quantizer,
      graph: inner.graph,
      originals: this.originals.residentBytes(),
      other: inner.other + this.mem.bytes() + this.heap.bytes() + this.chunkIds.byteLength,
    });
  }
}
