import { EngineError, EngineErrorCode } from "../errors.js";
import { MaxHeap } from "../hnsw/heaps.js";
import { type OriginalsSource, readOriginals } from "../hybrid/originals-source.js";
import type { KernelMemory } from "../kernels/kernel-memory.js";
import { checkMetric, type Metric } from "../metric.js";
import { writePadded } from "../storage/f32-store.js";
import { checkDimension, checkVector, normalizeInPlace } from "../vector-checks.js";
import { checkK } from "../vector-input.js";
import { KernelWorkspace } from "../workspace/kernel-workspace.js";
import type { Region, RegionSet } from "../workspace/region.js";

export interface ExactScanOptions {
  dim: number;
  metric: Metric;
  /** Neighbours kept per query. */
  k: number;
  /** Where the queries and the chunk buffers live; a private workspace by default. */
  workspace?: KernelWorkspace;
}

/** The exact k nearest of one query, nearest first. */
export interface ExactHits {
  ids: Uint32Array;
  distances: Float32Array;
}

/** A chunk of rows is about this many bytes: it stays in cache while every query scores it. */
const CHUNK_BYTES = 256 * 1024;
const MIN_CHUNK_ROWS = 16;
const MAX_CHUNK_ROWS = 1024;

/**
 * Exhaustive top-k of several queries over rows the caller supplies in chunks (a shard's float32
 * originals read from LMDB, a benchmark's base), with the engine's distances: squared l2, -dot,
 * and 1 - cosine on rows of any length (the queries are normalised once).
 *
 * Each chunk of rows is copied once into kernel memory and every query scores it with one batch
 * kernel call (while the chunk is in cache), keeping its k nearest in a bounded heap: O(n log k)
 * per query, O(k) memory per query. The queries live in the scan's own region (they outlive a
 * call); the chunk buffer is the memory's shared scratch, used within one call. `results` ends
 * the scan and gives its memory back.
 */
export class ExactScan {
  readonly dim: number;
  readonly metric: Metric;
  readonly k: number;
  readonly queryCount: number;
  private readonly floatDim: number;
  private readonly rowBytes: number;
  private readonly chunkRows: number;
  private readonly home: RegionSet;
  private readonly queries: Region;
  private readonly heaps: MaxHeap[];
  private scored = 0;

  constructor(queries: Float32Array, queryCount: number, options: ExactScanOptions) {
    this.dim = checkDimension(options.dim);
    this.metric = checkMetric(options.metric);
    this.k = checkK(options.k);
    this.queryCount = queryCount;
    this.floatDim = Math.ceil(this.dim / 4) * 4;
    this.rowBytes = this.floatDim * 4;
    this.chunkRows = Math.max(
      MIN_CHUNK_ROWS,
      Math.min(MAX_CHUNK_ROWS, Math.floor(CHUNK_BYTES / this.rowBytes)),
    );
    this.home = (options.workspace ?? new KernelWorkspace()).open();
    this.queries = this.home.alloc(Math.max(1, queryCount) * this.rowBytes);
    const q = new Float32Array(this.dim);
    for (let i = 0; i < queryCount; i++) {
      const query = queries.subarray(i * this.dim, (i + 1) * this.dim);
      checkVector(query, this.dim, `queries[${i}]`);
      q.set(query);
      if (this.metric === "cosine") normalizeInPlace(q, this.dim);
      const at = (this.queries.offset + i * this.rowBytes) >>> 2;
      writePadded(this.home.mem.f32, at, q, this.dim, this.floatDim);
    }
    this.heaps = Array.from({ length: queryCount }, () => new MaxHeap(Math.min(this.k, 1024)));
  }

  /** Distances computed so far. */
  get distanceCount(): number {
    return this.scored;
  }

  /** Scores `count` rows of `dim` floats laid out in `values`, named ids[i] (default: i). */
  scanRows(values: Float32Array, count: number, ids?: ArrayLike<number>): void {
    this.checkLive();
    for (let start = 0; start < count; start += this.chunkRows) {
      const n = Math.min(this.chunkRows, count - start);
      const { mem, rowsPtr, idxPtr } = this.chunk();
      const f32 = mem.f32;
      const rowIds = mem.scratch.rowIds(this.chunkRows);
      for (let i = 0; i < n; i++) {
        const row = values.subarray((start + i) * this.dim, (start + i + 1) * this.dim);
        writePadded(f32, (rowsPtr + i * this.rowBytes) >>> 2, row, this.dim, this.floatDim);
        mem.u32[(idxPtr >>> 2) + i] = i;
        rowIds[i] = ids === undefined ? start + i : ids[start + i];
      }
      this.scoreChunk(mem, rowsPtr, idxPtr, n, rowIds);
    }
  }

  /** Scores the originals of ids[0..count) read from `source`; ids it lacks are skipped. */
  scanSource(ids: ArrayLike<number>, count: number, source: OriginalsSource): void {
    this.checkLive();
    const batch = new Uint32Array(this.chunkRows);
    for (let start = 0; start < count; start += this.chunkRows) {
      const m = Math.min(this.chunkRows, count - start);
      for (let i = 0; i < m; i++) batch[i] = ids[start + i];
      const { mem, rowsPtr, idxPtr } = this.chunk();
      const found = mem.scratch.found(this.chunkRows);
      readOriginals(source, batch, m, mem.f32, rowsPtr >>> 2, this.floatDim, found);
      const f32 = mem.f32;
      const u32 = mem.u32;
      const rowIds = mem.scratch.rowIds(this.chunkRows);
      let n = 0;
      for (let i = 0; i < m; i++) {
        if (found[i] === 0) continue;
        // the rows are shared scratch: clear the padding the kernels read
        const at = (rowsPtr + i * this.rowBytes) >>> 2;
        for (let d = this.dim; d < this.floatDim; d++) f32[at + d] = 0;
        u32[(idxPtr >>> 2) + n] = i;
        rowIds[n++] = batch[i];
      }
      this.scoreChunk(mem, rowsPtr, idxPtr, n, rowIds);
    }
  }

  /** The k nearest of every query (fewer when fewer rows were scanned); ends the scan. */
  results(): ExactHits[] {
    this.checkLive();
    const out = this.heaps.map((heap) => {
      const n = Math.min(this.k, heap.size);
      const ids = new Uint32Array(n);
      const distances = new Float32Array(n);
      heap.drainAscending(ids, distances, n);
      return { ids, distances };
    });
    this.dispose();
    return out;
  }

  /** Gives the scan's memory back (`results` does it). */
  dispose(): void {
    this.home.dispose();
  }

  /** The chunk buffer: rows, then their row numbers (u32), then distances (f32). */
  private chunk(): { mem: KernelMemory; rowsPtr: number; idxPtr: number } {
    const mem = this.home.mem;
    const rows = this.chunkRows;
    const rowsPtr = mem.scratch.scanRows.fit(rows * (this.rowBytes + 8));
    return { mem, rowsPtr, idxPtr: rowsPtr + rows * this.rowBytes };
  }

  private scoreChunk(
    mem: KernelMemory,
    rowsPtr: number,
    idxPtr: number,
    n: number,
    rowIds: Uint32Array,
  ): void {
    if (n === 0) return;
    const outPtr = idxPtr + this.chunkRows * 4;
    const k = mem.kernels;
    const { floatDim, rowBytes } = this;
    const out0 = outPtr >>> 2;
    for (let q = 0; q < this.queryCount; q++) {
      const qPtr = this.queries.offset + q * rowBytes;
      if (this.metric === "l2")
        k.l2_f32_batch(qPtr, idxPtr, n, rowsPtr, rowBytes, floatDim, outPtr);
      else if (this.metric === "dot")
        k.dot_f32_batch(qPtr, idxPtr, n, rowsPtr, rowBytes, floatDim, 0, outPtr);
      else k.cosine_f32_batch(qPtr, idxPtr, n, rowsPtr, rowBytes, floatDim, outPtr);
      const heap = this.heaps[q];
      const f32 = mem.f32;
      for (let j = 0; j < n; j++) {
        const d = f32[out0 + j];
        if (heap.size < this.k) heap.push(d, rowIds[j]);
        else if (d < heap.topDist()) heap.replaceTop(d, rowIds[j]);
      }
    }
    this.scored += n * this.queryCount;
  }

  private checkLive(): void {
    if (this.home.disposed)
      throw new EngineError(EngineErrorCode.Disposed, "the scan has ended: its memory is freed");
  }
}
