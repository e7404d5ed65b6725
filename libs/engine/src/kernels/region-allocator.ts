/** Blocks start and end on cache lines, which is also the kernels' SIMD alignment. */
export const BLOCK_ALIGN = 64;
/** The first block's offset: offset 0 stays unused so that 0 is never a valid pointer. */
export const FIRST_OFFSET = 64;

const SMALL_BINS = 16;
const SUB_BINS = 4;
const BIN_COUNT = SMALL_BINS + 32 * SUB_BINS;
const BIN_WORDS = Math.ceil(BIN_COUNT / 32);
/** Blocks of the bin a request falls in that are checked before a larger bin is taken. */
const SAME_BIN_PROBES = 8;

export function alignUp(bytes: number): number {
  return Math.ceil(bytes / BLOCK_ALIGN) * BLOCK_ALIGN;
}

/**
 * The bookkeeping of the blocks of one linear memory of at most `limitBytes`: which byte ranges
 * are handed out and which are free. It never touches the memory; KernelMemory commits pages,
 * zeroes and copies.
 *
 * Algebra. Offsets and sizes are multiples of BLOCK_ALIGN. Let `top` be the end of the highest
 * allocated block (FIRST_OFFSET when there is none) and `highWater` the highest top ever.
 *   (1) tiling: the blocks, allocated and free, tile [FIRST_OFFSET, top) without gap or overlap;
 *       [top, limit) is the wilderness, handed out from its start;
 *   (2) coalesced: no two free blocks touch, and no free block ends at top. Freeing a block merges
 *       it with a free neighbour on either side; a merged block that ends at top returns to the
 *       wilderness instead (its lower neighbour is allocated by (2) itself, so top stays the end
 *       of an allocated block);
 *   (3) accounts: allocatedBytes + freeBytes = top - FIRST_OFFSET;
 *   (4) fresh: bytes at or above highWater have never been handed out, so they still hold the
 *       zeros of a new Wasm page: only [offset, min(end, highWater)) of a new block can be dirty.
 * Allocation is a good fit over size classes (TLSF's idea): free blocks sit in bins of
 * geometrically growing ranges, four per power of two (exact sizes below 16 lines); a request
 * checks a few blocks of its own bin, then takes any block of the first non-empty larger bin,
 * which is large enough by construction, and splits off the rest. Every operation is O(1) apart
 * from that bounded probe and a scan of a 5-word bitmap of non-empty bins.
 */
export class RegionAllocator {
  private topOffset = FIRST_OFFSET;
  private highWaterOffset = FIRST_OFFSET;
  private free = 0;
  private allocated = 0;
  /** Allocated blocks: offset -> size. */
  private readonly used = new Map<number, number>();
  /** Free blocks by start (-> size) and by end (-> start), for coalescing in O(1). */
  private readonly freeByStart = new Map<number, number>();
  private readonly freeByEnd = new Map<number, number>();
  private readonly bins: Set<number>[] = Array.from({ length: BIN_COUNT }, () => new Set());
  private readonly nonEmpty = new Uint32Array(BIN_WORDS);

  constructor(readonly limitBytes: number) {}

  get top(): number {
    return this.topOffset;
  }

  get highWater(): number {
    return this.highWaterOffset;
  }

  get freeBytes(): number {
    return this.free;
  }

  get allocatedBytes(): number {
    return this.allocated;
  }

  get blockCount(): number {
    return this.used.size;
  }

  /** Size of the allocated block at `offset` (0 when none starts there). */
  sizeOf(offset: number): number {
    return this.used.get(offset) ?? 0;
  }

  /**
   * Offset of a new block of at least `bytes`, or -1 when the memory cannot hold it. A block
   * taken from the wilderness must end at or below `ceiling` (room kept for scratch).
   */
  alloc(bytes: number, ceiling = this.limitBytes): number {
    const size = alignUp(Math.max(1, bytes));
    const fit = this.takeFree(size);
    let offset: number;
    if (fit >= 0) {
      offset = fit;
    } else {
      if (this.topOffset + size > Math.min(ceiling, this.limitBytes)) return -1;
      offset = this.topOffset;
      this.setTop(offset + size);
    }
    this.used.set(offset, size);
    this.allocated += size;
    return offset;
  }

  /**
   * Extends the block at `offset` to at least `bytes` without moving it: into the wilderness
   * when it is the highest block, else into the free block after it. False when neither has room.
   */
  growInPlace(offset: number, bytes: number, ceiling = this.limitBytes): boolean {
    const size = this.blockSize(offset);
    const want = alignUp(bytes);
    if (want <= size) return true;
    const end = offset + size;
    if (end === this.topOffset) {
      if (offset + want > Math.min(ceiling, this.limitBytes)) return false;
      this.setTop(offset + want);
    } else {
      const next = this.freeByStart.get(end);
      if (next === undefined || size + next < want) return false;
      this.unlinkFree(end, next);
      const rest = size + next - want;
      if (rest > 0) this.linkFree(offset + want, rest);
    }
    this.used.set(offset, want);
    this.allocated += want - size;
    return true;
  }

  /** Returns the block at `offset` to the free space, merged with its free neighbours. */
  release(offset: number): void {
    const size = this.blockSize(offset);
    this.used.delete(offset);
    this.allocated -= size;
    let start = offset;
    let end = offset + size;
    const before = this.freeByEnd.get(start);
    if (before !== undefined) {
      this.unlinkFree(before, start - before);
      start = before;
    }
    const after = this.freeByStart.get(end);
    if (after !== undefined) {
      this.unlinkFree(end, after);
      end += after;
    }
    if (end === this.topOffset) this.topOffset = start;
    else this.linkFree(start, end - start);
  }

  /** Checks invariants (1)-(4); throws on the first violation. For tests. */
  check(): void {
    const blocks = [
      ...[...this.used].map(([o, s]) => ({ o, s, free: false })),
      ...[...this.freeByStart].map(([o, s]) => ({ o, s, free: true })),
    ].sort((a, b) => a.o - b.o);
    let at = FIRST_OFFSET;
    let free = 0;
    let used = 0;
    let previousFree = false;
    for (const b of blocks) {
      if (b.o !== at) throw new Error(`blocks do not tile: gap or overlap at ${at} (next ${b.o})`);
      if (b.o % BLOCK_ALIGN !== 0 || b.s % BLOCK_ALIGN !== 0 || b.s <= 0)
        throw new Error(`unaligned block ${b.o}+${b.s}`);
      if (b.free && previousFree) throw new Error(`adjacent free blocks at ${b.o}`);
      if (b.free && this.freeByEnd.get(b.o + b.s) !== b.o) throw new Error(`end index at ${b.o}`);
      if (b.free && !this.bins[binOf(b.s)].has(b.o)) throw new Error(`bin of ${b.o}`);
      if (b.free) free += b.s;
      else used += b.s;
      previousFree = b.free;
      at = b.o + b.s;
    }
    if (at !== this.topOffset) throw new Error(`top ${this.topOffset} is not the end ${at}`);
    if (previousFree) throw new Error("a free block ends at top");
    if (free !== this.free || used !== this.allocated) throw new Error("byte counts drifted");
    if (this.highWaterOffset < this.topOffset) throw new Error("high water below top");
  }

  private blockSize(offset: number): number {
    const size = this.used.get(offset);
    if (size === undefined) throw new Error(`no allocated block at offset ${offset}`);
    return size;
  }

  private setTop(top: number): void {
    this.topOffset = top;
    if (top > this.highWaterOffset) this.highWaterOffset = top;
  }

  /** Takes a free block of at least `size`, splitting off the rest; -1 when none fits. */
  private takeFree(size: number): number {
    const bin = binOf(size);
    let probes = 0;
    for (const start of this.bins[bin]) {
      if (this.freeByStart.get(start)! >= size) return this.split(start, size);
      if (++probes === SAME_BIN_PROBES) break;
    }
    const larger = this.firstNonEmpty(bin + 1);
    if (larger < 0) return -1;
    const start = this.bins[larger].values().next().value as number;
    return this.split(start, size);
  }

  private split(start: number, size: number): number {
    const blockSize = this.freeByStart.get(start)!;
    this.unlinkFree(start, blockSize);
    if (blockSize > size) this.linkFree(start + size, blockSize - size);
    return start;
  }

  private linkFree(start: number, size: number): void {
    this.freeByStart.set(start, size);
    this.freeByEnd.set(start + size, start);
    const bin = binOf(size);
    this.bins[bin].add(start);
    this.nonEmpty[bin >>> 5] |= 1 << (bin & 31);
    this.free += size;
  }

  private unlinkFree(start: number, size: number): void {
    this.freeByStart.delete(start);
    this.freeByEnd.delete(start + size);
    const bin = binOf(size);
    const set = this.bins[bin];
    set.delete(start);
    if (set.size === 0) this.nonEmpty[bin >>> 5] &= ~(1 << (bin & 31));
    this.free -= size;
  }

  private firstNonEmpty(from: number): number {
    for (let w = from >>> 5; w < BIN_WORDS; w++) {
      let bits = this.nonEmpty[w];
      if (w === from >>> 5) bits &= -1 << (from & 31);
      if (bits !== 0) return w * 32 + (31 - Math.clz32(bits & -bits));
    }
    return -1;
  }
}

/**
 * Bin of a block size: sizes of 1..15 lines have a bin each; above, each power of two
 * [2^e, 2^(e+1)) lines is cut into four equal ranges.
 */
function binOf(size: number): number {
  const lines = size / BLOCK_ALIGN;
  if (lines < SMALL_BINS) return lines;
  const e = 31 - Math.clz32(lines);
  const sub = (lines >>> (e - 2)) & (SUB_BINS - 1);
  return SMALL_BINS + (e - 4) * SUB_BINS + sub;
}
