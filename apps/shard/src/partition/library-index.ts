import {
  CachedOriginals,
  type Float32CacheStats,
  HybridIndex,
  type HybridSearchOptions,
  type MemoryUsage,
  type SearchResult,
  type StoredIndex,
} from "@quiver/engine";
import { effectiveQuantization, type Metadata, QUANTIZATION_DEFAULTS } from "@quiver/events";
import type { PartitionLibrary, PartitionStore } from "@quiver/store";
import {
  codesIndex,
  deserializeIndex,
  exactIndex,
  type IndexPhase,
  quantizerSpec,
  serializeIndex,
  trainingSample,
  trainingSampleSize,
  trainQuantizer,
} from "./index-build.js";
import { StoreOriginals } from "./store-originals.js";

export type { IndexPhase } from "./index-build.js";

/** Where searches' time went, ms, accumulated when a request asks for timings. */
export interface SearchTimer {
  rerankMs: number;
}

/**
 * The engine index of one library in one partition, built from its config: float32 HNSW or flat
 * for `none`; for a quantized strategy, an exact flat index until the training sample is full,
 * then the quantized index (wrapped for reranking when hybrid). Its ids are the store's internal
 * ids; its snapshots carry the phase.
 */
export class LibraryIndex {
  private hybrid: HybridIndex | undefined;
  /** Hybrid's LRU float32 cache in front of the store's originals (only when hybrid). */
  private cache: CachedOriginals | undefined;
  /**
   * Decoded metadata by internal id, filled as filters read it (undefined: not read yet). Filters
   * evaluate it for every candidate, too often for an LMDB read and a msgpack decode each time.
   */
  private readonly metadataCache: (Metadata | null | undefined)[] = [];
  /** JSON size of the cached metadata: the estimate the statistics report. */
  private metadataCacheBytes = 0;

  private constructor(
    readonly record: PartitionLibrary,
    private inner: StoredIndex,
    private phaseNow: IndexPhase,
    private readonly originals: StoreOriginals,
  ) {
    this.wrap();
  }

  static create(record: PartitionLibrary, store: PartitionStore, partition: number): LibraryIndex {
    const originals = new StoreOriginals(store, partition, record.libraryId, record.dimension);
    const capacity = Math.max(1024, store.idBound(partition, record.libraryId));
    const index = new LibraryIndex(record, exactIndex(record, capacity), "exact", originals);
    return index;
  }

  /**
   * The index as of the store's state: its latest snapshot with the ids changed since then
   * reconciled from the store, or, without a snapshot, built from the stored vectors.
   */
  static restore(record: PartitionLibrary, store: PartitionStore, partition: number): LibraryIndex {
    const originals = new StoreOriginals(store, partition, record.libraryId, record.dimension);
    const snapshot = store.readSnapshot(partition, record.libraryId);
    if (snapshot) return LibraryIndex.fromSnapshot(record, store, partition, snapshot);
    const parameters = store.quantizer(partition, record.libraryId);
    const index = parameters
      ? new LibraryIndex(
          record,
          quantizedIndex(record, store, partition, parameters, originals),
          "quantized",
          originals,
        )
      : LibraryIndex.create(record, store, partition);
    if (!parameters)
      for (const v of store.vectors(partition, record.libraryId))
        index.upsert(v.internalId, v.vector);
    return index;
  }

  /**
   * The index in `snapshot` (serializeIndex's bytes) with the ids changed in the store since it
   * was taken reconciled.
   */
  static fromSnapshot(
    record: PartitionLibrary,
    store: PartitionStore,
    partition: number,
    snapshot: Uint8Array,
    changedIds: Iterable<number> = store.dirtyIds(partition, record.libraryId),
  ): LibraryIndex {
    const originals = new StoreOriginals(store, partition, record.libraryId, record.dimension);
    const { inner, phase } = deserializeIndex(record, snapshot, originals);
    const index = new LibraryIndex(record, inner, phase, originals);
    for (const id of changedIds) {
      const vector = store.original(partition, record.libraryId, id);
      if (vector) index.upsert(id, vector);
      else index.delete(id);
    }
    return index;
  }

  get phase(): IndexPhase {
    return this.phaseNow;
  }

  get size(): number {
    return this.inner.size;
  }

  has(id: number): boolean {
    return this.inner.has(id);
  }

  /** The index's own copy of vector `id` (reconstructed from codes when quantized). */
  read(id: number, out: Float32Array): void {
    this.inner.store.read(id, out);
  }

  upsert(id: number, vector: Float32Array): void {
    this.inner.upsert(id, vector);
    this.forgetMetadata(id);
    this.cache?.invalidate(id);
  }

  delete(id: number): void {
    this.inner.delete(id);
    this.forgetMetadata(id);
    this.cache?.invalidate(id);
  }

  /** Hybrid's float32 cache: capacity, bytes held, hits and misses (undefined: no cache). */
  float32CacheStats(): Float32CacheStats | undefined {
    return this.cache?.stats();
  }

  private forgetMetadata(id: number): void {
    const m = this.metadataCache[id];
    if (m === undefined) return;
    // only ids a filter read are in the cache: writing the others would grow it for every vector
    this.metadataCacheBytes -= jsonBytes(m);
    this.metadataCache[id] = undefined;
  }

  /** Estimated bytes of the metadata cached for filters. */
  get metadataBytes(): number {
    return this.metadataCacheBytes;
  }

  /** The metadata of vector `id` as the store has it, cached. */
  metadata(id: number, store: PartitionStore, partition: number): Metadata | null {
    let m = this.metadataCache[id];
    if (m === undefined) {
      m = store.metadata(partition, this.record.libraryId, id);
      this.metadataCache[id] = m;
      this.metadataCacheBytes += jsonBytes(m);
    }
    return m;
  }

  /** With `timer`, hybrid's rerank is timed apart (its ms are added to timer.rerankMs). */
  search(
    query: ArrayLike<number>,
    k: number,
    options?: HybridSearchOptions,
    timer?: SearchTimer,
  ): SearchResult {
    if (timer && this.hybrid) {
      const candidates = this.hybrid.candidates(query, k, options);
      const started = performance.now();
      const result = this.hybrid.rerank(query, candidates, k);
      timer.rerankMs += performance.now() - started;
      return result;
    }
    return (this.hybrid ?? this.inner).search(query, k, options);
  }

  memoryUsage(): MemoryUsage {
    return (this.hybrid ?? this.inner).memoryUsage();
  }

  /** True when a quantized strategy's training sample is full and it still searches exactly. */
  readyToTrain(): boolean {
    const sample = trainingSampleSize(this.record.quantization);
    return this.phaseNow === "exact" && sample > 0 && this.inner.size >= sample;
  }

  /**
   * Trains the quantizer on the first vectors of the store (in internal id order), rebuilds the
   * index on codes from every stored vector, and returns the quantizer's parameters to persist.
   */
  train(store: PartitionStore, partition: number): Uint8Array {
    const { libraryId, dimension } = this.record;
    const vectors = (function* () {
      for (const v of store.vectors(partition, libraryId)) yield v.vector;
    })();
    const { sample, n } = trainingSample(this.record, vectors);
    const spec = trainQuantizer(this.record.quantization, sample, n, dimension);
    const parameters = spec.kind === "f32" ? new Uint8Array(0) : spec.quantizer.serialize();
    this.inner = filledCodesIndex(this.record, store, partition, spec, this.originals);
    this.phaseNow = "quantized";
    this.wrap();
    return parameters;
  }

  /** The engine snapshot behind a small header: magic, version, phase, flat or HNSW. */
  serialize(): Uint8Array {
    return serializeIndex(this.inner, this.phaseNow);
  }

  private wrap(): void {
    const q = effectiveQuantization(this.record.quantization);
    const hybrid = this.phaseNow === "quantized" && q.strategy === "hybrid";
    this.cache =
      hybrid && !this.cache
        ? new CachedOriginals(this.originals, cacheRows(this.record, q.float32_cache_mb))
        : this.cache;
    this.hybrid =
      hybrid && this.cache
        ? new HybridIndex({
            quantized: this.inner,
            originals: this.cache,
            rerankTopK: q.rerank_top_k,
          })
        : undefined;
  }
}

/** Rows of this partition's share of the library's float32 cache budget (MB = 10^6 bytes). */
function cacheRows(
  record: PartitionLibrary,
  mb: number = QUANTIZATION_DEFAULTS.hybrid.float32_cache_mb,
): number {
  return Math.floor((mb * 1e6) / (record.partitions ?? 1) / (record.dimension * 4));
}

function quantizedIndex(
  record: PartitionLibrary,
  store: PartitionStore,
  partition: number,
  parameters: Uint8Array,
  originals: StoreOriginals,
): StoredIndex {
  return filledCodesIndex(record, store, partition, quantizerSpec(record, parameters), originals);
}

/** An index over codes holding every stored vector. */
function filledCodesIndex(
  record: PartitionLibrary,
  store: PartitionStore,
  partition: number,
  spec: Parameters<typeof codesIndex>[1],
  originals: StoreOriginals,
): StoredIndex {
  const capacity = Math.max(1024, store.idBound(partition, record.libraryId));
  const index = codesIndex(record, spec, capacity, originals);
  for (const v of store.vectors(partition, record.libraryId)) index.upsert(v.internalId, v.vector);
  return index;
}

function jsonBytes(m: Metadata | null): number {
  return m === null ? 8 : JSON.stringify(m).length;
}
