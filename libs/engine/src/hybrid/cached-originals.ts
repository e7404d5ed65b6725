import { invalidConfig } from "../errors.js";
import type { OriginalsSource } from "./originals-source.js";

const NONE = -1;
const INITIAL_ROWS = 1024;

/** What a float32 cache has held and served, for the statistics. */
export interface Float32CacheStats {
  /** Rows the cache may hold. */
  capacityRows: number;
  /** Bytes of `capacityRows` float32 rows. */
  capacityBytes: number;
  /** Rows held now. */
  rows: number;
  /** Bytes held in RAM now: the slab rows ever filled plus the lookup and LRU arrays. */
  residentBytes: number;
  hits: number;
  misses: number;
}

/**
 * An LRU cache of float32 rows in front of another originals source (LMDB in a shard): the
 * hybrid index's reranking reads the same hot candidates again and again, and a hit is a copy
 * from one slab instead of a store read.
 *
 * No per-entry objects: rows live in one Float32Array slab (grown by doubling up to `capacity`
 * rows, so a small library does not reserve the whole budget), id -> slot in an Int32Array
 * indexed by id (ids are dense internal ids: 4 bytes per id), the LRU order in prev/next Int32Arrays over slots. Capacity 0
 * passes every read through (each counted as a miss). The owner calls `invalidate(id)` when the original of `id` changes
 * or goes, so that a cached row is never served stale.
 */
export class CachedOriginals implements OriginalsSource {
  readonly dim: number;
  readonly capacity: number;
  private slab: Float32Array;
  /** Slot of each id, NONE when not cached. */
  private slotOf: Int32Array;
  /** Id held by each slot, NONE when free. */
  private idOf: Int32Array;
  private prev: Int32Array;
  private next: Int32Array;
  /** Most and least recently used slots. */
  private head = NONE;
  private tail = NONE;
  /** Free slots below `allocatedRows` (invalidated ones), as a stack. */
  private freeSlots: Int32Array;
  private freeCount = 0;
  /** Slots handed out at least once: the next never-used slot. */
  private usedSlots = 0;
  private rowsHeld = 0;
  private hitCount = 0;
  private missCount = 0;

  constructor(
    readonly source: OriginalsSource,
    capacityRows: number,
  ) {
    if (!Number.isInteger(capacityRows) || capacityRows < 0)
      throw invalidConfig("float32_cache", "capacity must be an integer >= 0", capacityRows);
    this.dim = source.dim;
    this.capacity = capacityRows;
    const rows = Math.min(capacityRows, INITIAL_ROWS);
    this.slab = new Float32Array(rows * this.dim);
    this.idOf = new Int32Array(rows).fill(NONE);
    this.prev = new Int32Array(rows);
    this.next = new Int32Array(rows);
    this.freeSlots = new Int32Array(rows);
    this.slotOf = new Int32Array(capacityRows > 0 ? INITIAL_ROWS : 0).fill(NONE);
  }

  /** Rows the slab has room for now (at most `capacity`). */
  private get allocatedRows(): number {
    return this.idOf.length;
  }

  read(id: number, out: Float32Array, offset: number): boolean {
    if (this.capacity === 0) {
      this.missCount++;
      return this.source.read(id, out, offset);
    }
    const slot = id < this.slotOf.length ? this.slotOf[id] : NONE;
    if (slot !== NONE) {
      this.hitCount++;
      this.touch(slot);
      const start = slot * this.dim;
      out.set(this.slab.subarray(start, start + this.dim), offset);
      return true;
    }
    this.missCount++;
    if (!this.source.read(id, out, offset)) return false;
    const fresh = this.takeSlot();
    this.slab.set(out.subarray(offset, offset + this.dim), fresh * this.dim);
    if (id >= this.slotOf.length) this.growIds(id + 1);
    this.slotOf[id] = fresh;
    this.idOf[fresh] = id;
    this.pushFront(fresh);
    this.rowsHeld++;
    return true;
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

  /**
   * The slab rows ever filled and the bookkeeping arrays. The rest of the slab (after a doubling)
   * is zero-filled memory never written, which the OS does not back with pages.
   */
  residentBytes(): number {
    return (
      this.usedSlots * this.dim * 4 +
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

  /** A free slot: a released one, a never-used one (growing the slab), or the LRU one evicted. */
  private takeSlot(): number {
    if (this.freeCount > 0) return this.freeSlots[--this.freeCount];
    if (this.usedSlots === this.allocatedRows && this.allocatedRows < this.capacity)
      this.growSlab(Math.min(this.capacity, this.allocatedRows * 2));
    if (this.usedSlots < this.allocatedRows) return this.usedSlots++;
    const victim = this.tail;
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

  private growSlab(rows: number): void {
    const slab = new Float32Array(rows * this.dim);
    slab.set(this.slab);
    this.slab = slab;
    this.idOf = grown(this.idOf, rows, NONE);
    this.prev = grown(this.prev, rows, NONE);
    this.next = grown(this.next, rows, NONE);
    this.freeSlots = grown(this.freeSlots, rows, 0);
  }

  private growIds(bound: number): void {
    this.slotOf = grown(this.slotOf, Math.max(bound, this.slotOf.length * 2), NONE);
  }
}

function grown(a: Int32Array, length: number, fill: number): Int32Array {
  const out = new Int32Array(length);
  out.set(a);
  out.fill(fill, a.length);
  return out;
}
