import { invalidConfig } from "../errors.js";
import { KernelWorkspace } from "../workspace/kernel-workspace.js";
import type { Region, RegionSet } from "../workspace/region.js";
import { type OriginalsSource, readOriginals } from "./originals-source.js";

const NONE = -1;
/** Rows of the slab's first allocation; it doubles from there up to the capacity. */
const INITIAL_ROWS = 16;

/** What a float32 cache has held and served, for the statistics. */
export interface Float32CacheStats {
  /** Rows the cache may hold. */
  capacityRows: number;
  /** Bytes of `capacityRows` float32 rows. */
  capacityBytes: number;
  /** Rows held now. */
  rows: number;
  /** Bytes held in RAM now: the slab as allocated plus the lookup and LRU arrays. */
  residentBytes: number;
  hits: number;
  misses: number;
}

/**
 * An LRU cache of float32 rows in front of another originals source (LMDB in a shard): the
 * hybrid index's reranking reads the same hot candidates again and again, and a hit costs no
 * store read.
 *
 * The rows live in one region of a kernel workspace (rows of `floatDim` floats, zero past `dim`),
 * so a HybridIndex scores cached rows where they are, without a copy (`rowOffset`, `admit`). The
 * slab is allocated at the first miss and grows by doubling up to `capacity` rows, so a small
 * library holds little. No per-entry objects: id -> slot in an Int32Array indexed by id (ids are
 * dense internal ids: 4 bytes per id seen), the LRU order in prev/next Int32Arrays over slots.
 * Capacity 0 passes every read through (each counted as a miss). The owner calls
 * `invalidate(id)` when the original of `id` changes or goes, so that a cached row is never
 * served stale, and `dispose()` when the library goes.
 */
export class CachedOriginals implements OriginalsSource {
  readonly dim: number;
  readonly capacity: number;
  readonly floatDim: number;
  /** The cache's regions (the slab), in the workspace it was given or a private one. */
  readonly home: RegionSet;
  private readonly rowBytes: number;
  private slab: Region | undefined;
  private allocatedRows = 0;
  /** Slot of each id, NONE when not cached. */
  private slotOf: Int32Array = new Int32Array(0);
  /** Id held by each slot, NONE when free. */
  private idOf: Int32Array = new Int32Array(0);
  private prev: Int32Array = new Int32Array(0);
  private next: Int32Array = new Int32Array(0);
  /** Most and least recently used slots. */
  private head = NONE;
  private tail = NONE;
  /** Free slots below `usedSlots` (invalidated ones), as a stack. */
  private freeSlots: Int32Array = new Int32Array(0);
  private freeCount = 0;
  /** Slots handed out at least once: the next never-used slot. */
  private usedSlots = 0;
  private rowsHeld = 0;
  private hitCount = 0;
  private missCount = 0;
  private readonly one = new Uint32Array(1);
  private readonly oneFound = new Uint8Array(1);

  constructor(
    readonly source: OriginalsSource,
    capacityRows: number,
    workspace?: KernelWorkspace,
  ) {
    if (!Number.isInteger(capacityRows) || capacityRows < 0)
      throw invalidConfig("float32_cache", "capacity must be an integer >= 0", capacityRows);
    this.dim = source.dim;
    this.capacity = capacityRows;
    this.floatDim = Math.ceil(this.dim / 4) * 4;
    this.rowBytes = this.floatDim * 4;
    this.home = (workspace ?? new KernelWorkspace()).open();
  }

  read(id: number, out: Float32Array, offset: number): boolean {
    const at = this.rowOffset(id);
    const mem = this.home.mem;
    if (at >= 0) {
      out.set(mem.f32.subarray(at >>> 2, (at >>> 2) + this.dim), offset);
      return true;
    }
    this.one[0] = id;
    if (readOriginals(this.source, this.one, 1, out, offset, this.dim, this.oneFound) === 0)
      return false;
    // Growing the slab may grow the memory, which would detach `out` if it views that memory.
    const slot = this.takeSlot(out.buffer !== mem.u8.buffer);
    if (slot !== NONE) {
      const f32 = this.home.mem.f32;
      const row = this.rowAt(slot) >>> 2;
      f32.set(out.subarray(offset, offset + this.dim), row);
      for (let d = this.dim; d < this.floatDim; d++) f32[row + d] = 0;
      this.keep(id, slot);
    }
    return true;
  }

  readMany(
    ids: ArrayLike<number>,
    n: number,
    out: Float32Array,
    offset: number,
    stride: number,
    found: Uint8Array,
  ): number {
    let count = 0;
    for (let i = 0; i < n; i++) {
      const ok = this.read(ids[i], out, offset + i * stride);
      found[i] = ok ? 1 : 0;
      if (ok) count++;
    }
    return count;
  }

  /**
   * For a rerank in `home.mem`: the byte offset of the cached row of `id` (a hit, which becomes
   * the most recent), or -1 (a miss: read it from `source`, then `admit` it).
   */
  rowOffset(id: number): number {
    if (this.capacity === 0) {
      this.missCount++;
      return -1;
    }
    const slot = id < this.slotOf.length ? this.slotOf[id] : NONE;
    if (slot === NONE) {
      this.missCount++;
      return -1;
    }
    this.hitCount++;
    this.touch(slot);
    return this.rowAt(slot);
  }

  /**
   * Caches as `id`'s the row of `floatDim` floats at byte offset `ptr` of `home.mem` (zero past
   * dim). May grow the slab, and the memory: offsets from `rowOffset` and views of the memory
   * read before are stale after.
   */
  admit(id: number, ptr: number): void {
    if (this.capacity === 0 || this.has(id)) return;
    const slot = this.takeSlot(true);
    if (slot === NONE) return;
    this.home.mem.u8.copyWithin(this.rowAt(slot), ptr, ptr + this.rowBytes);
    this.keep(id, slot);
  }

  /** Forgets the row of `id` (its original changed or was deleted). */
  invalidate(id: number): void {
    const slot = id < this.slotOf.length ? this.slotOf[id] : NONE;
    if (slot === NONE) return;
    this.unlink(slot);
    this.release(slot);
  }

  /** Forgets every row (hits and misses are kept). */
  clear(): void {
    while (this.tail !== NONE) {
      const slot = this.tail;
      this.unlink(slot);
      this.release(slot);
    }
  }

  /** Frees the slab and the arrays (the library is gone). */
  dispose(): void {
    this.clear();
    this.home.dispose();
    this.slab = undefined;
    this.allocatedRows = 0;
    this.usedSlots = 0;
    this.freeCount = 0;
    this.slotOf = new Int32Array(0);
    this.idOf = new Int32Array(0);
    this.prev = new Int32Array(0);
    this.next = new Int32Array(0);
    this.freeSlots = new Int32Array(0);
  }

  has(id: number): boolean {
    return id < this.slotOf.length && this.slotOf[id] !== NONE;
  }

  get hits(): number {
    return this.hitCount;
  }

  get misses(): number {
    return this.missCount;
  }

  get rows(): number {
    return this.rowsHeld;
  }

  /** The slab as allocated and the bookkeeping arrays. */
  residentBytes(): number {
    return (
      (this.slab?.blockBytes ?? 0) +
      this.slotOf.byteLength +
      this.idOf.byteLength +
      this.prev.byteLength +
      this.next.byteLength +
      this.freeSlots.byteLength
    );
  }

  stats(): Float32CacheStats {
    return {
      capacityRows: this.capacity,
      capacityBytes: this.capacity * this.dim * 4,
      rows: this.rowsHeld,
      residentBytes: this.residentBytes(),
      hits: this.hitCount,
      misses: this.missCount,
    };
  }

  private rowAt(slot: number): number {
    return this.slab!.offset + slot * this.rowBytes;
  }

  private keep(id: number, slot: number): void {
    if (id >= this.slotOf.length) this.growIds(id + 1);
    this.slotOf[id] = slot;
    this.idOf[slot] = id;
    this.pushFront(slot);
    this.rowsHeld++;
  }

  /**
   * A free slot: a released one, a never-used one (growing the slab when `mayGrow`), or the LRU
   * one evicted; NONE when the cache holds nothing and may not grow.
   */
  private takeSlot(mayGrow: boolean): number {
    if (this.capacity === 0) return NONE;
    if (this.freeCount > 0) return this.freeSlots[--this.freeCount];
    if (mayGrow && this.usedSlots === this.allocatedRows && this.allocatedRows < this.capacity)
      this.growSlab(Math.min(this.capacity, Math.max(INITIAL_ROWS, this.allocatedRows * 2)));
    if (this.usedSlots < this.allocatedRows) return this.usedSlots++;
    const victim = this.tail;
    if (victim === NONE) return NONE;
    this.unlink(victim);
    this.slotOf[this.idOf[victim]] = NONE;
    this.idOf[victim] = NONE;
    this.rowsHeld--;
    return victim;
  }

  private release(slot: number): void {
    this.slotOf[this.idOf[slot]] = NONE;
    this.idOf[slot] = NONE;
    this.freeSlots[this.freeCount++] = slot;
    this.rowsHeld--;
  }

  private touch(slot: number): void {
    if (slot === this.head) return;
    this.unlink(slot);
    this.pushFront(slot);
  }

  private pushFront(slot: number): void {
    this.prev[slot] = NONE;
    this.next[slot] = this.head;
    if (this.head !== NONE) this.prev[this.head] = slot;
    this.head = slot;
    if (this.tail === NONE) this.tail = slot;
  }

  private unlink(slot: number): void {
    const p = this.prev[slot];
    const n = this.next[slot];
    if (p !== NONE) this.next[p] = n;
    else this.head = n;
    if (n !== NONE) this.prev[n] = p;
    else this.tail = p;
  }

  /** Grows the slab within its memory; a full memory leaves it as it is (the cache evicts). */
  private growSlab(rows: number): void {
    const bytes = rows * this.rowBytes;
    if (this.slab === undefined) {
      this.slab = this.home.allocInMemory(bytes);
      if (this.slab === undefined) return;
    } else if (!this.home.growInMemory(this.slab, bytes, this.usedSlots * this.rowBytes)) {
      return;
    }
    this.idOf = grown(this.idOf, rows, NONE);
    this.prev = grown(this.prev, rows, NONE);
    this.next = grown(this.next, rows, NONE);
    this.freeSlots = grown(this.freeSlots, rows, 0);
    this.allocatedRows = rows;
  }

  private growIds(bound: number): void {
    this.slotOf = grown(this.slotOf, Math.max(bound, this.slotOf.length * 2, 64), NONE);
  }
}

function grown(a: Int32Array, length: number, fill: number): Int32Array {
  const out = new Int32Array(length);
  out.set(a);
  out.fill(fill, a.length);
  return out;
}
