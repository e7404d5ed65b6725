import type { KernelMemory } from "../kernels/kernel-memory.js";
import type { VectorStore } from "../storage/vector-store.js";
import { MaxHeap } from "./heaps.js";
import { VisitedSet } from "./visited-set.js";

/**
 * The preallocated working memory of one index's searches and inserts: Wasm buffers for the
 * batches handed to the kernels, decoded-vector slots for quantized stores, heaps and the
 * visited set. A search allocates only its result.
 */
export class SearchScratch {
  readonly mem: KernelMemory;
  /** u32 ids / f32 distances of one batch (one expanded node). */
  readonly idsPtr: number;
  readonly outPtr: number;
  /** u32 record offsets / f32 distances for pairwise float32 distances. */
  readonly ptrsPtr: number;
  readonly pairOutPtr: number;
  /** One float32 vector slot for the base of pairwise distances, then `slotCount` more. */
  readonly baseSlotPtr: number;
  readonly slotsPtr: number;
  readonly slotCount: number;
  readonly slotBytes: number;
  readonly visited = new VisitedSet(0);
  /** Distance of the node a greedy descent ended on. */
  entryDist = 0;
  /** The search frontier, nearest on top (stored as negated distances). */
  readonly candidates = new MaxHeap(256);
  readonly results = new MaxHeap(256);
  /** Sorting long candidate lists while building. */
  readonly sortHeap = new MaxHeap(256);
  /** Repairing the neighbourhood of an updated node: its neighbours, and the ids around them. */
  readonly oneHop: Uint32Array;
  repairIds: Uint32Array = new Uint32Array(256);
  /** Sorted candidate lists (ids, distances) and the selection built from them. */
  sortedIds = new Uint32Array(256);
  sortedDists = new Float32Array(256);
  readonly selected: Uint32Array;
  readonly selectedPtrs: Uint32Array;
  readonly candidatePtrs: Uint32Array;
  /** A neighbour list being pruned: ids and distances to its owner. */
  readonly pruneIds: Uint32Array;
  readonly pruneDists: Float32Array;

  constructor(store: VectorStore, maxBatch: number) {
    const mem = store.mem;
    this.mem = mem;
    this.idsPtr = mem.alloc(maxBatch * 4);
    this.outPtr = mem.alloc(maxBatch * 4);
    this.ptrsPtr = mem.alloc(maxBatch * 4);
    this.pairOutPtr = mem.alloc(maxBatch * 4);
    this.slotBytes = store.floatDim * 4;
    // A float32 store hands out its records directly and never writes to slots.
    this.slotCount = store.kind === "f32" ? 0 : maxBatch;
    this.baseSlotPtr = store.kind === "f32" ? 0 : mem.alloc(this.slotBytes);
    this.slotsPtr = store.kind === "f32" ? 0 : mem.alloc(this.slotCount * this.slotBytes);
    this.selected = new Uint32Array(maxBatch);
    this.oneHop = new Uint32Array(maxBatch);
    this.selectedPtrs = new Uint32Array(maxBatch);
    this.candidatePtrs = new Uint32Array(maxBatch);
    this.pruneIds = new Uint32Array(maxBatch);
    this.pruneDists = new Float32Array(maxBatch);
  }

  slot(i: number): number {
    return this.slotsPtr + i * this.slotBytes;
  }

  ensureSorted(n: number): void {
    if (n <= this.sortedIds.length) return;
    this.sortedIds = new Uint32Array(n * 2);
    this.sortedDists = new Float32Array(n * 2);
  }

  /** JS-heap bytes (the Wasm buffers are counted with the memory). */
  bytes(): number {
    return (
      this.visited.bytes() +
      this.candidates.bytes() +
      this.results.bytes() +
      this.sortHeap.bytes() +
      this.repairIds.byteLength +
      this.sortedIds.byteLength +
      this.sortedDists.byteLength +
      this.selected.byteLength * 5
    );
  }
}
