import type { KernelMemory } from "../kernels/kernel-memory.js";
import type { Metric } from "../metric.js";
import type { Region, RegionSet } from "../workspace/region.js";

export type StoreKind = "f32" | "scalar" | "product";

/** A new arena holds about this many bytes of records (4 to 64 rows), unless told a capacity. */
const INITIAL_ARENA_BYTES = 4 * 1024;
const MIN_INITIAL_ROWS = 4;
const MAX_INITIAL_ROWS = 64;

/**
 * Where an index keeps the vectors it searches (float32 values, 8-bit codes or PQ codes), in a
 * region of a kernel memory at `arena + id * recordBytes`, and how it scores a prepared query
 * against them. The graph never sees vector values: it asks a store for distances to a batch of
 * ids.
 *
 * Vectors handed to a store are already validated (dimension, finite) and, for cosine, unit
 * length: the index does that once. The prepared query lives in the memory's shared scratch: it
 * is valid from `setQuery` to the end of the operation.
 */
export interface VectorStore {
  readonly kind: StoreKind;
  readonly dim: number;
  readonly metric: Metric;
  /** The regions of the index this store belongs to (arena, quantizer parameters). */
  readonly home: RegionSet;
  /** The memory holding them now (read it at each use: the set may move between operations). */
  readonly mem: KernelMemory;
  /** Floats in the float32 form of a record (`dim` padded for the kernels). */
  readonly floatDim: number;
  readonly recordBytes: number;
  /** Records addressable without growing. */
  readonly capacity: number;

  /** Makes room for ids < `capacity` (never shrinks; may move the arena). */
  reserve(capacity: number): void;
  /** Encodes `vector` into record `id`. */
  set(id: number, vector: Float32Array): void;
  /** Prepares `query` for `score` (overwrites the previous query). */
  setQuery(query: Float32Array): void;
  /** out[i] = distance(prepared query, record ids[i]); `idsPtr` and `outPtr` point into `mem`. */
  score(idsPtr: number, n: number, outPtr: number): void;
  /**
   * Offset in `mem` of `floatDim` floats approximating record `id` (zero past `dim`): the record
   * itself for float32, otherwise its reconstruction written at `slotPtr`.
   */
  floatOf(id: number, slotPtr: number): number;
  /** Writes the stored form of record `id`, reconstructed as float32, into `out` (length >= dim). */
  read(id: number, out: Float32Array): void;
  /** Bytes of the record arena (capacity * recordBytes, as allocated). */
  arenaBytes(): number;
  /** Bytes of the quantizer parameters (codebooks, ranges) held, in Wasm and JS. */
  parameterBytes(): number;
  /** Quantizer parameters for a snapshot (empty for float32). */
  parameters(): Uint8Array;
  /** The raw bytes of records [0, count) (a view: valid until the next allocation). */
  recordBytesView(count: number): Uint8Array;
  /** Restores records [0, count) from `recordBytesView` output. */
  loadRecords(bytes: Uint8Array, count: number): void;
}

/** Arena bookkeeping shared by every store: one region of `capacity * recordBytes`. */
export abstract class ArenaStore {
  abstract readonly recordBytes: number;
  abstract readonly home: RegionSet;
  protected arena!: Region;
  private cap = 0;

  get mem(): KernelMemory {
    return this.home.mem;
  }

  get capacity(): number {
    return this.cap;
  }

  /** Allocates the arena: `capacity` rows when given, else a few (it grows geometrically). */
  protected createArena(capacity: number | undefined): void {
    const rows =
      capacity ??
      Math.max(
        MIN_INITIAL_ROWS,
        Math.min(MAX_INITIAL_ROWS, Math.floor(INITIAL_ARENA_BYTES / this.recordBytes)),
      );
    this.cap = Math.max(1, rows);
    this.arena = this.home.alloc(this.cap * this.recordBytes);
  }

  reserve(capacity: number): void {
    if (capacity <= this.cap) return;
    this.home.grow(this.arena, capacity * this.recordBytes, this.cap * this.recordBytes);
    this.cap = capacity;
  }

  arenaBytes(): number {
    return this.arena.blockBytes;
  }

  recordBytesView(count: number): Uint8Array {
    if (count === 0) return new Uint8Array(0);
    const at = this.arena.offset;
    return this.mem.u8.subarray(at, at + count * this.recordBytes);
  }

  loadRecords(bytes: Uint8Array, count: number): void {
    this.reserve(count);
    if (count > 0) this.mem.u8.set(bytes.subarray(0, count * this.recordBytes), this.arena.offset);
  }

  protected recordOffset(id: number): number {
    return this.arena.offset + id * this.recordBytes;
  }
}
