import { MaxHeap } from "../hnsw/heaps.js";
import { SearchScratch } from "../hnsw/search-scratch.js";
import type { KernelMemory } from "../kernels/kernel-memory.js";
import { ScratchBuffer } from "./scratch-buffer.js";

/**
 * The scratch of one kernel memory, shared by every index placed there and grown to the largest
 * shape asked for. Per-index buffers would multiply by the number of indexes (a PQ lookup table
 * alone is m * 256 floats); one thread runs one operation at a time, so one set serves them all.
 *
 * Who uses what, within one operation:
 * - `search`: HNSW and flat searches and inserts (batches, slots, heaps, visited marks);
 * - `query`, `weights`, `lut`: the prepared query of the store being searched (float32 query;
 *   a scalar store's i16 weights; a PQ store's query and lookup table). Written by `setQuery`,
 *   read by `score` until the operation ends; `encode` is a PQ store's encoding buffer;
 * - `rerank*`: the hybrid rerank, which runs after its quantized search has returned;
 * - `scan*`: an exact scan's chunk of rows, filled and scored within one call;
 * - `vector`, `weights64`, `codes`: JS buffers (a checked copy of the caller's vector, a scalar
 *   store's float64 weights and codes).
 * No two of these are used by two stores at once: a hybrid search finishes the quantized search
 * (query, lut) before the rerank (rerank*) starts, an insert prepares its query before the link
 * builder's pairwise distances (search slots), and PQ links chosen on originals read them into
 * the search slots, never into a query buffer.
 */
export class SharedScratch {
  readonly search: SearchScratch;
  readonly query: ScratchBuffer;
  readonly weights: ScratchBuffer;
  readonly lut: ScratchBuffer;
  readonly encode: ScratchBuffer;
  readonly rerankQuery: ScratchBuffer;
  readonly rerankRows: ScratchBuffer;
  readonly scanRows: ScratchBuffer;
  /** The rerank's top-k. */
  readonly rerankHeap = new MaxHeap(64);
  private vectorBuffer = new Float32Array(0);
  private readonly vectorViews = new Map<number, Float32Array>();
  private weightsBuffer = new Float64Array(0);
  private codesBuffer = new Uint8Array(0);
  private idsBuffer = new Uint32Array(0);
  private missBuffer = new Uint32Array(0);
  private foundBuffer = new Uint8Array(0);

  constructor(mem: KernelMemory) {
    this.search = new SearchScratch(mem);
    this.query = new ScratchBuffer(mem);
    this.weights = new ScratchBuffer(mem);
    this.lut = new ScratchBuffer(mem);
    this.encode = new ScratchBuffer(mem);
    this.rerankQuery = new ScratchBuffer(mem);
    this.rerankRows = new ScratchBuffer(mem);
    this.scanRows = new ScratchBuffer(mem);
  }

  /** A float32 buffer of exactly `dim` components (a view kept per dimension: no allocation). */
  vector(dim: number): Float32Array {
    let view = this.vectorViews.get(dim);
    if (view === undefined) {
      if (dim > this.vectorBuffer.length) {
        this.vectorBuffer = new Float32Array(dim);
        this.vectorViews.clear();
      }
      view = this.vectorBuffer.subarray(0, dim);
      this.vectorViews.set(dim, view);
    }
    return view;
  }

  /** A float64 buffer of at least `n` entries. */
  weights64(n: number): Float64Array {
    if (n > this.weightsBuffer.length) this.weightsBuffer = new Float64Array(n);
    return this.weightsBuffer;
  }

  /** A byte buffer of at least `n` entries, contents undefined. */
  codes(n: number): Uint8Array {
    if (n > this.codesBuffer.length) this.codesBuffer = new Uint8Array(n);
    return this.codesBuffer;
  }

  /** Ids of a chunk of rows (rerank, exact scan): at least `n` entries. */
  rowIds(n: number): Uint32Array {
    if (n > this.idsBuffer.length) this.idsBuffer = new Uint32Array(n);
    return this.idsBuffer;
  }

  /** Ids of the rows a chunk must read from the originals: at least `n` entries. */
  missIds(n: number): Uint32Array {
    if (n > this.missBuffer.length) this.missBuffer = new Uint32Array(n);
    return this.missBuffer;
  }

  /** Found flags of a batch read of originals: at least `n` entries. */
  found(n: number): Uint8Array {
    if (n > this.foundBuffer.length) this.foundBuffer = new Uint8Array(n);
    return this.foundBuffer;
  }

  /** Bytes of the Wasm blocks. */
  wasmBytes(): number {
    return (
      this.search.wasmBytes() +
      this.query.bytes +
      this.weights.bytes +
      this.lut.bytes +
      this.encode.bytes +
      this.rerankQuery.bytes +
      this.rerankRows.bytes +
      this.scanRows.bytes
    );
  }

  /** Bytes held: Wasm blocks and JS buffers. */
  bytes(): number {
    return (
      this.wasmBytes() +
      this.search.bytes() -
      this.search.wasmBytes() +
      this.vectorBuffer.byteLength +
      this.weightsBuffer.byteLength +
      this.codesBuffer.byteLength +
      this.rerankHeap.bytes() +
      this.idsBuffer.byteLength +
      this.missBuffer.byteLength +
      this.foundBuffer.byteLength
    );
  }
}
