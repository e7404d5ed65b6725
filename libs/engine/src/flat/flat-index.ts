import { MaxHeap } from "../hnsw/heaps.js";
import { KernelMemory } from "../kernels/kernel-memory.js";
import { checkMetric, type Metric } from "../metric.js";
import { readSnapshot, writeSnapshot } from "../snapshot/snapshot-format.js";
import { createStore, storeSpecFromParameters } from "../storage/create-store.js";
import type { VectorStore } from "../storage/vector-store.js";
import { checkDimension, checkId } from "../vector-checks.js";
import {
  type MemoryUsage,
  type SearchOptions,
  type SearchResult,
  type StoredIndex,
  storedMemoryUsage,
  type StoredIndexOptions,
} from "../vector-index.js";
import { checkK, VectorInput } from "../vector-input.js";

export type FlatOptions = StoredIndexOptions;

const SNAPSHOT_MAGIC = "QVFL";
const SNAPSHOT_VERSION = 1;
const CHUNK = 1024;

/**
 * Exhaustive scan over a VectorStore: exact for float32, and the reference that HNSW and the
 * quantized stores are measured against.
 */
export class FlatIndex implements StoredIndex {
  readonly dim: number;
  readonly metric: Metric;
  readonly store: VectorStore;
  private present = new Uint8Array(0);
  private idBound = 0;
  private live = 0;
  private readonly idsPtr: number;
  private readonly outPtr: number;
  private readonly heap = new MaxHeap(64);
  private readonly input: VectorInput;

  constructor(options: FlatOptions) {
    this.dim = checkDimension(options.dim);
    this.metric = checkMetric(options.metric);
    const mem = new KernelMemory();
    this.store = createStore(mem, this.dim, this.metric, options.storage ?? { kind: "f32" });
    this.idsPtr = mem.alloc(CHUNK * 4);
    this.outPtr = mem.alloc(CHUNK * 4);
    this.input = new VectorInput(this.dim, this.metric);
    if (options.capacity) this.reserve(options.capacity);
  }

  get size(): number {
    return this.live;
  }

  has(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.present.length && this.present[id] === 1;
  }

  reserve(capacity: number): void {
    if (capacity <= this.present.length) return;
    this.store.reserve(capacity);
    const present = new Uint8Array(capacity);
    present.set(this.present);
    this.present = present;
  }

  upsert(id: number, vector: ArrayLike<number>): void {
    checkId(id);
    const v = this.input.take(vector);
    if (id >= this.present.length)
      this.reserve(Math.max(id + 1, Math.ceil(this.present.length * 1.5), 1024));
    this.store.set(id, v);
    if (this.present[id] === 0) {
      this.present[id] = 1;
      this.live++;
      if (id >= this.idBound) this.idBound = id + 1;
    }
  }

  delete(id: number): boolean {
    if (!this.has(id)) return false;
    this.present[id] = 0;
    this.live--;
    return true;
  }

  search(query: ArrayLike<number>, k: number, options: SearchOptions = {}): SearchResult {
    checkK(k);
    const q = this.input.take(query, "query");
    this.store.setQuery(q);
    const heap = this.heap;
    heap.clear();
    const mem = this.store.mem;
    const ids0 = this.idsPtr >> 2;
    const out0 = this.outPtr >> 2;
    const filter = options.filter;
    let computed = 0;
    let id = 0;
    while (id < this.idBound) {
      let n = 0;
      const u32 = mem.u32;
      for (; id < this.idBound && n < CHUNK; id++) {
        if (this.present[id] === 1 && (filter === undefined || filter(id))) u32[ids0 + n++] = id;
      }
      if (n === 0) continue;
      this.store.score(this.idsPtr, n, this.outPtr);
      computed += n;
      const f32 = mem.f32;
      for (let j = 0; j < n; j++) {
        const d = f32[out0 + j];
        if (heap.size < k) heap.push(d, u32[ids0 + j]);
        else if (d < heap.topDist()) heap.replaceTop(d, u32[ids0 + j]);
      }
    }
    const count = Math.min(k, heap.size);
    const ids = new Uint32Array(count);
    const distances = new Float32Array(count);
    heap.drainAscending(ids, distances, count);
    return { ids, distances, distanceCount: computed };
  }

  memoryUsage(): MemoryUsage {
    return storedMemoryUsage(
      this.store,
      this.idBound,
      Math.min(this.idBound, this.present.length),
      this.heap.bytes() + this.dim * 4,
    );
  }

  serialize(): Uint8Array {
    const n = this.idBound;
    return writeSnapshot(
      SNAPSHOT_MAGIC,
      SNAPSHOT_VERSION,
      { dim: this.dim, metric: this.metric, store: this.store.kind, idBound: n, live: this.live },
      [
        { name: "quantizer", bytes: this.store.parameters() },
        { name: "records", bytes: this.store.recordBytesView(n) },
        { name: "present", bytes: this.present.subarray(0, n) },
      ],
    );
  }

  static deserialize(bytes: Uint8Array): FlatIndex {
    const snap = readSnapshot(bytes, SNAPSHOT_MAGIC, [SNAPSHOT_VERSION]);
    const h = snap.header;
    const dim = h.dim as number;
    const n = h.idBound as number;
    const index = new FlatIndex({
      dim,
      metric: h.metric as Metric,
      storage: storeSpecFromParameters(String(h.store), dim, snap.section("quantizer")),
      capacity: n,
    });
    index.store.loadRecords(snap.section("records", n * index.store.recordBytes), n);
    index.present.set(snap.section("present", n));
    index.idBound = n;
    index.live = h.live as number;
    return index;
  }
}
