import { EngineError, EngineErrorCode } from "../errors.js";
import type { RegionSet } from "../workspace/region.js";
import { SharedScratch } from "../workspace/shared-scratch.js";
import {
  type KernelExports,
  kernelsModule,
  MAX_MEMORY_BYTES,
  PAGE_BYTES,
  wasm,
  type WasmMemory,
} from "./kernel-exports.js";
import { alignUp, RegionAllocator } from "./region-allocator.js";

export { type KernelExports, MAX_MEMORY_BYTES } from "./kernel-exports.js";

/** Memories grow by at least this share of what they hold, so that growth is rare. */
const GROWTH_SHARE = 1 / 8;
const MIN_GROWTH_BYTES = 1 << 20;
const SCRATCH_HEADROOM_BYTES = 64 << 20;

let memoriesCreated = 0;

/** The bytes a memory of `limitBytes` leaves for regions: the rest is kept for its scratch. */
export function regionCeilingOf(limitBytes: number): number {
  return limitBytes - Math.min(SCRATCH_HEADROOM_BYTES, limitBytes / 16);
}

/** A memory limit as KernelMemory applies it: whole pages, at most 4 GiB. */
export function memoryLimitOf(limitBytes = MAX_MEMORY_BYTES): number {
  const pages = Math.floor(Math.min(MAX_MEMORY_BYTES, limitBytes) / PAGE_BYTES);
  return Math.max(1, pages) * PAGE_BYTES;
}

/** Kernel memories created by this thread so far (tests count them). */
export function kernelMemoriesCreated(): number {
  return memoriesCreated;
}

export interface KernelMemoryOptions {
  /** Bytes to commit at once (rounded up to 64 KiB pages). */
  initialBytes?: number;
  /** Most bytes the memory may hold; at most (and by default) 4 GiB, Wasm32's limit. */
  limitBytes?: number;
}

/**
 * One WebAssembly memory with its own instance of the kernels, and an allocator of its bytes
 * (RegionAllocator: blocks handed out, freed, grown, with coalescing and reuse).
 *
 * V8 reserves about 10 GiB of address space for every Wasm memory whatever its maximum, so a
 * thread can hold only some thousands of them: indexes do not own memories, they allocate
 * regions in a workspace's few memories (KernelWorkspace). Wasm memories grow in place and never
 * shrink: growing replaces the typed-array views (read them from this object after any call that
 * may allocate); releasing pages back to the OS takes a move to a fresh memory (compaction).
 *
 * Blocks come back zeroed: new pages are zero, reused bytes are cleared (only below the
 * allocator's high-water mark, so that fresh pages stay untouched and cost no RSS).
 */
export class KernelMemory {
  readonly memory: WasmMemory;
  readonly kernels: KernelExports;
  readonly limitBytes: number;
  /** Creation order in its thread, for logs and figures. */
  readonly serial: number;
  f32!: Float32Array;
  u8!: Uint8Array;
  u32!: Uint32Array;
  i32!: Int32Array;
  i16!: Int16Array;
  readonly allocator: RegionAllocator;
  /** The region sets whose regions live here (KernelWorkspace moves them). */
  readonly sets = new Set<RegionSet>();
  /**
   * Regions end at or below this: the rest is kept for the shared scratch, which is allocated
   * at the start of an operation and must not find the memory full.
   */
  readonly regionCeiling: number;
  /** Being emptied by a compaction: no new region set is placed here. */
  draining = false;
  private scratchState: SharedScratch | undefined;

  constructor(options: KernelMemoryOptions = {}) {
    this.limitBytes = memoryLimitOf(options.limitBytes);
    const initialPages = Math.max(1, Math.ceil((options.initialBytes ?? PAGE_BYTES) / PAGE_BYTES));
    this.memory = new wasm.Memory({
      initial: Math.min(initialPages, this.limitBytes / PAGE_BYTES),
      maximum: this.limitBytes / PAGE_BYTES,
    });
    this.kernels = new wasm.Instance(kernelsModule(), { env: { memory: this.memory } })
      .exports as unknown as KernelExports;
    this.allocator = new RegionAllocator(this.limitBytes);
    this.regionCeiling = regionCeilingOf(this.limitBytes);
    this.serial = ++memoriesCreated;
    this.refreshViews();
  }

  /**
   * The scratch every index placed here shares (one thread uses a memory and each operation
   * runs to completion, so one set of buffers serves them all).
   */
  get scratch(): SharedScratch {
    if (this.scratchState === undefined) this.scratchState = new SharedScratch(this);
    return this.scratchState;
  }

  /** Whether the shared scratch was ever created (figures only). */
  hasScratch(): boolean {
    return this.scratchState !== undefined;
  }

  /**
   * Offset of a new zeroed block of at least `bytes`, or -1 when the memory cannot hold it.
   * `zero: false` skips the clearing when the caller overwrites the whole block; `ceiling` is
   * the regions' by default (scratch passes the limit).
   */
  allocBlock(bytes: number, zero = true, ceiling = this.regionCeiling): number {
    const fresh = this.allocator.highWater;
    const offset = this.allocator.alloc(bytes, ceiling);
    if (offset < 0) return -1;
    const end = offset + alignUp(bytes);
    this.commit(end);
    const dirtyEnd = Math.min(end, fresh);
    if (zero && dirtyEnd > offset) this.u8.fill(0, offset, dirtyEnd);
    return offset;
  }

  /**
   * Resizes the block at `offset` to at least `bytes`, keeping its first `keepBytes`: in place
   * when the space after it is free, else by a copy to a new block of this memory. Bytes past
   * `keepBytes` read as zero. Returns the block's offset (new or not), or -1 when this memory
   * cannot hold it (the block is then unchanged).
   */
  growBlock(offset: number, bytes: number, keepBytes: number): number {
    const keep = Math.min(keepBytes, this.allocator.sizeOf(offset), bytes);
    const fresh = this.allocator.highWater;
    let at = offset;
    if (!this.allocator.growInPlace(offset, bytes, this.regionCeiling)) {
      at = this.allocator.alloc(bytes, this.regionCeiling);
      if (at < 0) return -1;
    }
    const end = at + alignUp(bytes);
    this.commit(end);
    if (at !== offset) {
      this.u8.copyWithin(at, offset, offset + keep);
      this.allocator.release(offset);
    }
    const dirtyEnd = Math.min(end, fresh);
    if (dirtyEnd > at + keep) this.u8.fill(0, at + keep, dirtyEnd);
    return at;
  }

  freeBlock(offset: number): void {
    this.allocator.release(offset);
  }

  /**
   * A block that lives as long as the memory (a standalone memory's buffers, e.g. k-means
   * training): throws when the memory is full.
   */
  alloc(bytes: number): number {
    const offset = this.allocBlock(bytes, true, this.limitBytes);
    if (offset < 0) throw this.full(bytes);
    return offset;
  }

  /** Bytes the memory holds (committed pages). */
  bytes(): number {
    return this.memory.buffer.byteLength;
  }

  full(bytes: number): EngineError {
    return new EngineError(
      EngineErrorCode.CapacityExceeded,
      `a kernel memory holds at most ${this.limitBytes} bytes; ${bytes} more requested`,
      { requestedBytes: bytes, maxBytes: this.limitBytes },
    );
  }

  /** Makes [0, endByte) addressable, growing the memory in place when needed. */
  private commit(endByte: number): void {
    const have = this.memory.buffer.byteLength;
    if (endByte > have) {
      const want = Math.min(
        this.limitBytes,
        Math.max(endByte, have + Math.max(MIN_GROWTH_BYTES, have * GROWTH_SHARE)),
      );
      this.memory.grow(Math.ceil((want - have) / PAGE_BYTES));
      this.refreshViews();
    }
  }

  private refreshViews(): void {
    const buffer = this.memory.buffer;
    this.f32 = new Float32Array(buffer);
    this.u8 = new Uint8Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.i16 = new Int16Array(buffer);
  }
}
