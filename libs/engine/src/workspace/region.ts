import { EngineError, EngineErrorCode } from "../errors.js";
import type { KernelMemory } from "../kernels/kernel-memory.js";
import { alignUp } from "../kernels/region-allocator.js";
import type { KernelWorkspace } from "./kernel-workspace.js";

/**
 * A byte range of a kernel memory owned by one index (its record arena, quantizer parameters, a
 * cache slab). A handle, not a pointer: growing it may move it, and the workspace may move its
 * whole set to another memory (relocation when a memory is full, compaction), so an owner reads
 * `mem` and `offset` at each use and never keeps them across calls that may allocate.
 */
export class Region {
  constructor(
    readonly set: RegionSet,
    /** Byte offset in `set.mem`. */
    public offset: number,
    /** Bytes asked for; the block behind it is rounded up to 64. */
    public bytes: number,
  ) {}

  get mem(): KernelMemory {
    return this.set.mem;
  }

  get blockBytes(): number {
    return alignUp(this.bytes);
  }
}

/**
 * The regions of one owner (an index), kept in one memory: a kernel reaches only the memory of
 * its own instance, and one call reads the query (scratch), the parameters and the records.
 * The set moves as a whole: when its memory cannot hold a request, the workspace moves it to a
 * memory that can (another one, or a new one), and compaction moves it out of a mostly free one.
 */
export class RegionSet {
  private readonly owned = new Set<Region>();
  private disposedState = false;

  constructor(
    readonly workspace: KernelWorkspace,
    /** The memory holding every region of the set; changes when the set moves. */
    public mem: KernelMemory,
  ) {
    mem.sets.add(this);
  }

  get regions(): ReadonlySet<Region> {
    return this.owned;
  }

  get disposed(): boolean {
    return this.disposedState;
  }

  /** Bytes of the blocks the set holds. */
  bytes(): number {
    let total = 0;
    for (const r of this.owned) total += r.blockBytes;
    return total;
  }

  /** A new zeroed region; may move the set (read the other regions' offsets again after). */
  alloc(bytes: number): Region {
    this.checkLive();
    if (this.mem.draining) this.workspace.relocate(this, bytes);
    let offset = this.mem.allocBlock(bytes);
    if (offset < 0) {
      this.workspace.relocate(this, bytes);
      offset = this.mem.allocBlock(bytes);
      if (offset < 0) throw this.mem.full(bytes);
    }
    const region = new Region(this, offset, bytes);
    this.owned.add(region);
    return region;
  }

  /**
   * As `alloc`, but never moves the set to another memory: undefined when this memory cannot
   * hold it (for allocations that may be declined, like a cache's).
   */
  allocInMemory(bytes: number): Region | undefined {
    this.checkLive();
    const offset = this.mem.allocBlock(bytes);
    if (offset < 0) return undefined;
    const region = new Region(this, offset, bytes);
    this.owned.add(region);
    return region;
  }

  /**
   * Makes `region` at least `bytes` long, keeping its first `keepBytes` (the rest reads as zero).
   * May move the region, and the set to another memory.
   */
  grow(region: Region, bytes: number, keepBytes = region.bytes): void {
    this.checkOwn(region);
    if (bytes <= region.bytes) return;
    if (this.mem.draining) this.workspace.relocate(this, bytes - region.blockBytes);
    if (this.growInMemory(region, bytes, keepBytes)) return;
    this.workspace.relocate(this, bytes - region.blockBytes);
    if (!this.growInMemory(region, bytes, keepBytes)) throw this.mem.full(bytes);
  }

  /**
   * As `grow`, but never moves the set to another memory: false when this memory cannot hold
   * it (for growth that may be declined, like a cache's). The region itself may still move.
   */
  growInMemory(region: Region, bytes: number, keepBytes = region.bytes): boolean {
    this.checkOwn(region);
    if (bytes <= region.bytes) return true;
    const offset = this.mem.growBlock(region.offset, bytes, keepBytes);
    if (offset < 0) return false;
    region.offset = offset;
    region.bytes = bytes;
    return true;
  }

  free(region: Region): void {
    this.checkOwn(region);
    this.mem.freeBlock(region.offset);
    this.owned.delete(region);
  }

  /** Frees every region; the set cannot allocate again. Idempotent. */
  dispose(): void {
    if (this.disposedState) return;
    for (const r of this.owned) this.mem.freeBlock(r.offset);
    this.owned.clear();
    this.mem.sets.delete(this);
    this.disposedState = true;
    this.workspace.forget(this);
  }

  /**
   * Moves every region to `target` (copying their bytes), or changes nothing and returns false
   * when `target` cannot hold them all. For the workspace.
   */
  moveTo(target: KernelMemory): boolean {
    const source = this.mem;
    const offsets = new Map<Region, number>();
    for (const r of this.owned) {
      const offset = target.allocBlock(r.bytes, false);
      if (offset < 0) {
        for (const o of offsets.values()) target.freeBlock(o);
        return false;
      }
      offsets.set(r, offset);
    }
    // target.u8 is read after every allocation: the target may have grown
    for (const [r, offset] of offsets) {
      target.u8.set(source.u8.subarray(r.offset, r.offset + r.blockBytes), offset);
      source.freeBlock(r.offset);
      r.offset = offset;
    }
    source.sets.delete(this);
    target.sets.add(this);
    this.mem = target;
    return true;
  }

  private checkLive(): void {
    if (this.disposedState)
      throw new EngineError(
        EngineErrorCode.Disposed,
        "the index was disposed: its memory is freed",
      );
  }

  private checkOwn(region: Region): void {
    this.checkLive();
    if (!this.owned.has(region)) throw new Error("region does not belong to this set");
  }
}
