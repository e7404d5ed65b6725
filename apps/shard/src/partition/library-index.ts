import {
  CachedOriginals,
  type Float32CacheStats,
  FlatIndex,
  HYBRID_DEFAULTS,
  HnswIndex,
  HybridIndex,
  type HybridSearchOptions,
  type MemoryUsage,
  ProductQuantizer,
  ScalarQuantizer,
  type SearchResult,
  type StoredIndex,
  type StoreSpec,
} from "@quiver/engine";
import type { Metadata, QuantizationConfig } from "@quiver/events";
import type { LibraryRecord, PartitionStore } from "@quiver/store";
import { StoreOriginals } from "./store-originals.js";

/**
 * `exact`: float32 vectors (strategy none, or a quantized strategy still collecting its training
 * sample); `quantized`: codes of a trained quantizer.
 */
export type IndexPhase = "exact" | "quantized";

const SNAPSHOT_MAGIC = [0x51, 0x56, 0x4c, 0x49]; // "QVLI"
const SNAPSHOT_VERSION = 1;
const HEADER_BYTES = 8;

/** Vectors a quantized strategy trains on (0: the strategy does not train). */
export function trainingSampleSize(q: QuantizationConfig): number {
  switch (q.strategy) {
    case "scalar":
      return q.calibration_samples;
    case "product":
      return q.training_samples;
    case "hybrid":
      return q.initial_search === "scalar" ? q.calibration_samples : q.training_samples;
    default:
      return 0;
  }
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
    readonly record: LibraryRecord,
    private inner: StoredIndex,
    private phaseNow: IndexPhase,
    private readonly originals: StoreOriginals,
  ) {
    this.wrap();
  }

  static create(record: LibraryRecord, store: PartitionStore, partition: number): LibraryIndex {
    const originals = new StoreOriginals(store, partition, record.libraryId, record.dimension);
    const capacity = Math.max(1024, store.idBound(partition, record.libraryId));
    const index = new LibraryIndex(record, exactIndex(record, capacity), "exact", originals);
    return index;
  }

  /**
   * The index as of the store's state: its latest snapshot with the ids changed since then
   * reconciled from the store, or, without a snapshot, built from the stored vectors.
   */
  static restore(record: LibraryRecord, store: PartitionStore, partition: number): LibraryIndex {
    const originals = new StoreOriginals(store, partition, record.libraryId, record.dimension);
    const snapshot = store.readSnapshot(partition, record.libraryId);
    if (snapshot) {
      const { phase, flat, engineBytes } = readEnvelope(snapshot);
      const inner = flat
        ? FlatIndex.deserialize(engineBytes)
        : HnswIndex.deserialize(engineBytes, {
            originals:
              phase === "quantized" && codesOf(record.quantization) === "product"
                ? originals
                : undefined,
          });
      const index = new LibraryIndex(record, inner, phase, originals);
      for (const id of store.dirtyIds(partition, record.libraryId)) {
        const vector = store.original(partition, record.libraryId, id);
        if (vector) index.upsert(id, vector);
        else index.delete(id);
      }
      return index;
    }
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
    if (m !== undefined) this.metadataCacheBytes -= jsonBytes(m);
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

  search(query: ArrayLike<number>, k: number, options?: HybridSearchOptions): SearchResult {
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
    const { libraryId, dimension, metric } = this.record;
    const sampleSize = trainingSampleSize(this.record.quantization);
    const sample = new Float32Array(sampleSize * dimension);
    let n = 0;
    for (const v of store.vectors(partition, libraryId)) {
      if (n === sampleSize) break;
      sample.set(metric === "cosine" ? unit(v.vector) : v.vector, n * dimension);
      n++;
    }
    const spec = trainQuantizer(this.record.quantization, sample, n, dimension);
    const parameters = spec.kind === "f32" ? new Uint8Array(0) : spec.quantizer.serialize();
    this.inner = buildQuantized(this.record, store, partition, spec, this.originals);
    this.phaseNow = "quantized";
    this.wrap();
    return parameters;
  }

  /** The engine snapshot behind a small header: magic, version, phase, flat or HNSW. */
  serialize(): Uint8Array {
    const engine = this.inner.serialize();
    const out = new Uint8Array(HEADER_BYTES + engine.byteLength);
    out.set(SNAPSHOT_MAGIC, 0);
    out[4] = SNAPSHOT_VERSION;
    out[5] = this.phaseNow === "exact" ? 0 : 1;
    out[6] = this.inner instanceof FlatIndex ? 0 : 1;
    out.set(engine, HEADER_BYTES);
    return out;
  }

  private wrap(): void {
    const q = this.record.quantization;
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
function cacheRows(record: LibraryRecord, mb: number = HYBRID_DEFAULTS.float32CacheMb): number {
  return Math.floor((mb * 1e6) / (record.partitions ?? 1) / (record.dimension * 4));
}

function readEnvelope(bytes: Uint8Array): {
  phase: IndexPhase;
  flat: boolean;
  engineBytes: Uint8Array;
} {
  const ok = SNAPSHOT_MAGIC.every((b, i) => bytes[i] === b) && bytes[4] === SNAPSHOT_VERSION;
  if (!ok || bytes.byteLength < HEADER_BYTES)
    throw new Error("not a library index snapshot of a known version");
  return {
    phase: bytes[5] === 0 ? "exact" : "quantized",
    flat: bytes[6] === 0,
    engineBytes: bytes.subarray(HEADER_BYTES),
  };
}

function hnswOptions(record: LibraryRecord) {
  return {
    m: record.hnsw.m,
    efConstruction: record.hnsw.ef_construction,
    efSearch: record.hnsw.ef_search,
  };
}

/** Float32 index: the library's own for `none`, flat while a quantized strategy collects samples. */
function exactIndex(record: LibraryRecord, capacity: number): StoredIndex {
  const base = { dim: record.dimension, metric: record.metric, capacity };
  const trains = trainingSampleSize(record.quantization) > 0;
  if (record.indexType === "flat" || trains) return new FlatIndex(base);
  return new HnswIndex({ ...base, ...hnswOptions(record) });
}

function codesOf(q: QuantizationConfig): "scalar" | "product" | undefined {
  if (q.strategy === "scalar" || q.strategy === "product") return q.strategy;
  if (q.strategy === "hybrid") return q.initial_search;
  return undefined;
}

function trainQuantizer(
  q: QuantizationConfig,
  sample: Float32Array,
  n: number,
  dim: number,
): StoreSpec {
  const codes = codesOf(q);
  if (codes === "scalar") {
    const bits = "bits" in q ? q.bits : 8;
    return { kind: "scalar", quantizer: ScalarQuantizer.train(sample, n, dim, { bits }) };
  }
  if (codes === "product") {
    const subvectors = "subvectors" in q ? q.subvectors : undefined;
    const codebookSize = "codebook_size" in q ? q.codebook_size : undefined;
    return {
      kind: "product",
      quantizer: ProductQuantizer.train(sample, n, dim, { subvectors, codebookSize }),
    };
  }
  return { kind: "f32" };
}

function quantizedIndex(
  record: LibraryRecord,
  store: PartitionStore,
  partition: number,
  parameters: Uint8Array,
  originals: StoreOriginals,
): StoredIndex {
  const codes = codesOf(record.quantization);
  const spec: StoreSpec =
    codes === "scalar"
      ? { kind: "scalar", quantizer: ScalarQuantizer.deserialize(parameters, record.dimension) }
      : codes === "product"
        ? { kind: "product", quantizer: ProductQuantizer.deserialize(parameters, record.dimension) }
        : { kind: "f32" };
  return buildQuantized(record, store, partition, spec, originals);
}

/** An index over codes holding every stored vector; PQ links are chosen on the originals. */
function buildQuantized(
  record: LibraryRecord,
  store: PartitionStore,
  partition: number,
  spec: StoreSpec,
  originals: StoreOriginals,
): StoredIndex {
  const base = {
    dim: record.dimension,
    metric: record.metric,
    storage: spec,
    capacity: Math.max(1024, store.idBound(partition, record.libraryId)),
  };
  const index =
    record.indexType === "flat"
      ? new FlatIndex(base)
      : new HnswIndex({
          ...base,
          ...hnswOptions(record),
          originals: spec.kind === "product" ? originals : undefined,
        });
  for (const v of store.vectors(partition, record.libraryId)) index.upsert(v.internalId, v.vector);
  return index;
}

function unit(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  if (s === 0) return v;
  const inv = 1 / Math.sqrt(s);
  return v.map((x) => x * inv);
}

function jsonBytes(m: Metadata | null): number {
  return m === null ? 8 : JSON.stringify(m).length;
}
