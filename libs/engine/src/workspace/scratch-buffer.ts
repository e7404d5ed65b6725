import type { KernelMemory } from "../kernels/kernel-memory.js";
import { alignUp } from "../kernels/region-allocator.js";

/**
 * A block of a memory's shared scratch that grows to the largest size asked for. Its contents
 * are whatever the last user left: a user writes what it reads within one operation (and clears
 * the padding the kernels read, e.g. the components past `dim` of a float32 row).
 */
export class ScratchBuffer {
  /** Byte offset in the memory; valid until the next `fit` that grows the buffer. */
  offset = 0;
  bytes = 0;

  constructor(private readonly mem: KernelMemory) {}

  /** The buffer's offset, after growing it to at least `bytes` (its contents are then lost). */
  fit(bytes: number): number {
    if (bytes <= this.bytes) return this.offset;
    if (this.bytes > 0) this.mem.freeBlock(this.offset);
    this.bytes = 0;
    // scratch may use the headroom regions leave (KernelMemory.regionCeiling)
    const offset = this.mem.allocBlock(bytes, false, this.mem.limitBytes);
    if (offset < 0) throw this.mem.full(bytes);
    this.offset = offset;
    this.bytes = alignUp(bytes);
    return offset;
  }
}
