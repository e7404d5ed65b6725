import type { KernelMemory } from "../kernels/kernel-memory.js";
import type { Metric } from "../metric.js";

export type StoreKind = "f32" | "scalar" | "product";

/**
 * Where an index keeps the vectors it searches (float32 values, 8-bit codes or PQ codes), in a
 * Wasm memory arena at `base + id * recordBytes`, and how it scores a prepared query against
 * them. The graph never sees vector values: it asks a store for distances to a batch of ids.
 *
 * Vectors handed to a store are already validated (dimension, finite) and, for cosine, unit
 * length: the index does that once.
 */
export interface VectorStore {
  readonly kind: StoreKind;
  readonly dim: number;
  readonly metric: Metric;
  readonly mem: KernelMemory;
  /** Floats in the float32 form of a record (`dim` padded for the kernels). */
  readonly floatDim: number;
  readonly recordBytes: number;
  /** Records addressable without growing. */
  readonly capacity: number;

  /** Makes room for ids < `capacity` (never shrinks). */
  reserve(capacity: number): void;
  /** Encodes `vector` into record `id`. */
  set(id: number, vector: Float32Array): void;
  /** Prepares `query` for `score` (overwrites the previous query). */
  setQuery(query: Float32Array): void;
  /** out[i] = distance(prepared query, record ids[i]); `idsPtr` and `outPtr` point into `mem`. */
  score(idsPtr: number, n: number, outPtr: number): void;
  /**
   * Offset in `mem` of `floatDim` floats approximating record `id`: the record itself for float32,
   * otherwise its reconstruction written at `slotPtr`.
   */
  floatOf(id: number, slotPtr: number): number;
  /** Writes the stored form of record `id`, reconstructed as float32, into `out` (length >= dim). */
  read(id: number, out: Float32Array): void;
  /** Bytes of the record arena (capacity * recordBytes). */
  recordArenaBytes(): number;
  /**
   * Offset of the record arena in `mem`: what lies below it (scratch, quantizer parameters) is
   * written when the store is built; the arena's pages are written as records fill it.
   */
  arenaOffset(): number;
  /** Bytes of the quantizer parameters (codebooks, ranges) held in memory. */
  parameterBytes(): number;
  /** Quantizer parameters for a snapshot (empty for float32). */
  parameters(): Uint8Array;
  /** The raw bytes of records [0, count). */
  recordBytesView(count: number): Uint8Array;
  /** Restores records [0, count) from `recordBytesView` output. */
  loadRecords(bytes: Uint8Array, count: number): void;
}

/** Arena bookkeeping shared by every store: the arena is the last region of its memory. */
export abstract class ArenaStore {
  abstract readonly recordBytes: number;
  protected abstract readonly memory: KernelMemory;
  protected base = 0;
  private cap = 0;

  get capacity(): number {
    return this.cap;
  }

  reserve(capacity: number): void {
    if (capacity <= this.cap) return;
    if (this.base === 0) this.base = this.memory.end(64);
    this.memory.ensure(this.base + capacity * this.recordBytes);
    this.cap = capacity;
  }

  recordArenaBytes(): number {
    return this.cap * this.recordBytes;
  }

  arenaOffset(): number {
    return this.base === 0 ? this.memory.end(64) : this.base;
  }

  recordBytesView(count: number): Uint8Array {
    if (count === 0) return new Uint8Array(0);
    return this.memory.u8.subarray(this.base, this.base + count * this.recordBytes);
  }

  loadRecords(bytes: Uint8Array, count: number): void {
    this.reserve(count);
    if (count > 0) this.memory.u8.set(bytes.subarray(0, count * this.recordBytes), this.base);
  }

  protected recordOffset(id: number): number {
    return this.base + id * this.recordBytes;
  }
}
