import { EngineError, EngineErrorCode } from "../errors.js";
import type { SearchScratch } from "../hnsw/search-scratch.js";
import { checkMetric, type Metric } from "../metric.js";
import {
  joinPieces,
  readSnapshot,
  type SnapshotPiece,
  snapshotPieces,
} from "../snapshot/snapshot-format.js";
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
import { KernelWorkspace } from "../workspace/kernel-workspace.js";
import type { RegionSet } from "../workspace/region.js";

export interface FlatOptions extends StoredIndexOptions {
  /** Its regions go to a transient memory (see KernelWorkspace's `open`): an exact phase. */
  transient?: boolean;
}

const SNAPSHOT_MAGIC = "QVFL";
const SNAPSHOT_VERSION = 1;
const CHUNK = 1024;
const GROWTH = 1.5;

/**
 * Exhaustive scan over a VectorStore: exact for float32, and the reference that HNSW and the
 * quantized stores are measured against. Its batches and heap are the workspace memory's shared
 * search scratch.
 */
export class FlatIndex implements StoredIndex {
  readonly dim: number;
  readonly metric: Metric;
  readonly store: VectorStore;
  readonly workspace: KernelWorkspace;
  private readonly home: RegionSet;
  private present: Uint8Array;
  private idBound = 0;
  private live = 0;
  private readonly input: VectorInput;

  constructor(options: FlatOptions) {
    this.dim = checkDimension(options.dim);
    this.metric = checkMetric(options.metric);
    this.workspace = options.workspace ?? new KernelWorkspace();
    this.home = this.workspace.open({ transient: options.transient });
    const storage = options.storage ?? { kind: "f32" };
    // without a capacity the store picks a small start (4 to 64 rows, ~4 KiB)
    this.store = createStore(
      this.home,
      this.dim,
      this.metric,
      storage,
      options.capacity || undefined,
    );
    this.present = new Uint8Array(this.store.capacity);
    this.input = new VectorInput(this.dim, this.metric, this.home);
  }

  get size(): number {
    return this.live;
  }

  has(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.present.length && this.present[id] === 1;
  }

  reserve(capacity: number): void {
    this.checkLive();
    if (capacity <= this.present.length) return;
    this.store.reserve(capacity);
    const present = new Uint8Array(capacity);
    present.set(this.present);
    this.present = present;
  }

  upsert(id: number, vector: ArrayLike<number>): void {
    this.checkLive();
    checkId(id);
    const v = this.input.take(vector);
    if (id >= this.present.length)
      this.reserve(Math.max(id + 1, Math.ceil(this.present.length * GROWTH)));
    this.store.set(id, v);
    if (this.present[id] === 0) {
      this.present[id] = 1;
      this.live++;
      if (id >= this.idBound) this.idBound = id + 1;
    }
  }

  delete(id: number): boolean {
    this.checkLive();
    if (!this.has(id)) return false;
    this.present[id] = 0;
    this.live--;
    return true;
  }

  search(query: ArrayLike<number>, k: number, options: SearchOptions = {}): SearchResult {
    this.checkLive();
    checkK(k);
    const q = this.input.take(query, "query");
    const s = this.scratch();
    this.store.setQuery(q);
    const heap = s.results;
    heap.clear();
    const mem = this.store.mem;
    const { idsPtr, outPtr } = s;
    const ids0 = idsPtr >>> 2;
    const out0 = outPtr >>> 2;
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
      this.store.score(idsPtr, n, outPtr);
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
    return storedMemoryUsage(this.store, this.present.byteLength);
  }

  /** Frees the index's regions and arrays; later calls throw. */
  dispose(): void {
    if (this.home.disposed) return;
    this.home.dispose();
    this.present = new Uint8Array(0);
  }

  get disposed(): boolean {
    return this.home.disposed;
  }

  private checkLive(): void {
    if (this.home.disposed)
      throw new EngineError(
        EngineErrorCode.Disposed,
        "the index was disposed: its memory is freed",
      );
  }

  private scratch(): SearchScratch {
    return this.home.mem.scratch.search.fit(CHUNK, this.store.floatDim, false, 0);
  }

  serialize(): Uint8Array {
    return joinPieces(this.snapshotPieces());
  }

  /** The snapshot as pieces to write one by one (views: change nothing until written). */
  snapshotPieces(): SnapshotPiece[] {
    this.checkLive();
    const n = this.idBound;
    return snapshotPieces(
      SNAPSHOT_MAGIC,
      SNAPSHOT_VERSION,
      { dim: this.dim, metric: this.metric, store: this.store.kind, idBound: n, live: this.live },
      [
        { name: "quantizer", bytes: this.store.parameters() },
        { name: "records", bytes: () => this.store.recordBytesView(n) },
        { name: "present", bytes: this.present.subarray(0, n) },
      ],
    );
  }

  /** Restores a snapshot into `workspace` (else a private one). */
  static deserialize(
    bytes: Uint8Array,
    options: { workspace?: KernelWorkspace; transient?: boolean } = {},
  ): FlatIndex {
    const snap = readSnapshot(bytes, SNAPSHOT_MAGIC, [SNAPSHOT_VERSION]);
    const h = snap.header;
    const dim = h.dim as number;
    const n = h.idBound as number;
    const index = new FlatIndex({
      dim,
      metric: h.metric as Metric,
      storage: storeSpecFromParameters(String(h.store), dim, snap.section("quantizer")),
      capacity: n,
      workspace: options.workspace,
      transient: options.transient,
    });
    index.store.loadRecords(snap.section("records", n * index.store.recordBytes), n);
    index.present.set(snap.section("present", n));
    index.idBound = n;
    index.live = h.live as number;
    return index;
  }
}
