import type { KernelMemory } from "../kernels/kernel-memory.js";
import { ScratchBuffer } from "../workspace/scratch-buffer.js";
import { MaxHeap } from "./heaps.js";
import { VisitedSet } from "./visited-set.js";

/**
 * The working memory of searches and inserts, shared by every index of one kernel memory and
 * grown to the largest shape asked for (`fit`): Wasm buffers for the batches handed to the
 * kernels, decoded-vector slots for quantized stores, heaps, the visited set (sized to the
 * largest index) and the lists of neighbour selection. A search allocates only its result.
 *
 * Sharing is safe because one thread uses a memory and an operation runs to completion: an
 * operation calls `fit` first and then owns every buffer until it returns. Offsets read here are
 * valid until the next `fit`.
 */
export class SearchScratch {
  /** u32 ids / f32 distances of one batch (one expanded node, or a flat index's chunk). */
  idsPtr = 0;
  outPtr = 0;
  /** u32 record offsets / f32 distances for pairwise float32 distances. */
  ptrsPtr = 0;
  pairOutPtr = 0;
  /**
   * One float32 vector slot for the base of pairwise distances, then `slotCount` more (as many
   * as the largest batch of an index whose store decodes into slots).
   */
  baseSlotPtr = 0;
  slotsPtr = 0;
  slotCount = 0;
  slotBytes = 0;
  /** Ids a batch may hold (>= the batch asked for by every index so far). */
  batchCapacity = 0;
  readonly visited = new VisitedSet(0);
  /** Distance of the node a greedy descent ended on. */
  entryDist = 0;
  /** The search frontier, nearest on top (stored as negated distances). */
  readonly candidates = new MaxHeap(64);
  readonly results = new MaxHeap(64);
  /** Sorting long candidate lists while building. */
  readonly sortHeap = new MaxHeap(64);
  /** Repairing the neighbourhood of an updated node: its neighbours, and the ids around them. */
  oneHop = new Uint32Array(0);
  repairIds: Uint32Array = new Uint32Array(64);
  /** Sorted candidate lists (ids, distances) and the selection built from them. */
  sortedIds = new Uint32Array(64);
  sortedDists = new Float32Array(64);
  selected = new Uint32Array(0);
  selectedPtrs = new Uint32Array(0);
  candidatePtrs = new Uint32Array(0);
  /** A neighbour list being pruned: ids and distances to its owner. */
  pruneIds = new Uint32Array(0);
  pruneDists = new Float32Array(0);
  private readonly batch: ScratchBuffer;
  private readonly slots: ScratchBuffer;

  constructor(readonly mem: KernelMemory) {
    this.batch = new ScratchBuffer(mem);
    this.slots = new ScratchBuffer(mem);
  }

  /**
   * Grows the buffers for an index whose batches hold up to `maxBatch` ids, whose float32 form
   * has `floatDim` components (with decoded slots when `slots`), and whose ids are < `capacity`.
   * Cheap when nothing grows: called at the start of every operation.
   */
  fit(maxBatch: number, floatDim: number, slots: boolean, capacity: number): this {
    if (maxBatch > this.batchCapacity) this.growBatch(maxBatch);
    if (slots && (this.slotCount < maxBatch || this.slotBytes < floatDim * 4))
      this.growSlots(maxBatch, floatDim * 4);
    if (capacity > this.visited.tags.length) this.visited.reserve(capacity);
    return this;
  }

  slot(i: number): number {
    return this.slotsPtr + i * this.slotBytes;
  }

  ensureSorted(n: number): void {
    if (n <= this.sortedIds.length) return;
    this.sortedIds = new Uint32Array(n * 2);
    this.sortedDists = new Float32Array(n * 2);
  }

  /** Bytes held: the Wasm blocks and the JS arrays. */
  bytes(): number {
    return (
      this.wasmBytes() +
      this.visited.bytes() +
      this.candidates.bytes() +
      this.results.bytes() +
      this.sortHeap.bytes() +
      this.repairIds.byteLength +
      this.sortedIds.byteLength +
      this.sortedDists.byteLength +
      this.selected.byteLength * 7
    );
  }

  wasmBytes(): number {
    return this.batch.bytes + this.slots.bytes;
  }

  private growBatch(maxBatch: number): void {
    const n = Math.ceil(maxBatch / 16) * 16;
    const at = this.batch.fit(n * 16);
    this.idsPtr = at;
    this.outPtr = at + n * 4;
    this.ptrsPtr = at + n * 8;
    this.pairOutPtr = at + n * 12;
    this.batchCapacity = n;
    this.selected = new Uint32Array(n);
    this.oneHop = new Uint32Array(n);
    this.selectedPtrs = new Uint32Array(n);
    this.candidatePtrs = new Uint32Array(n);
    this.pruneIds = new Uint32Array(n);
    this.pruneDists = new Float32Array(n);
  }

  private growSlots(maxBatch: number, slotBytes: number): void {
    this.slotBytes = Math.max(this.slotBytes, Math.ceil(slotBytes / 64) * 64);
    this.slotCount = Math.max(this.slotCount, Math.ceil(maxBatch / 16) * 16);
    const at = this.slots.fit((this.slotCount + 1) * this.slotBytes);
    this.baseSlotPtr = at;
    this.slotsPtr = at + this.slotBytes;
  }
}
