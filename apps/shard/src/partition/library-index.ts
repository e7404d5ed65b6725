import {
  createStrategyIndex,
  type Float32CacheStats,
  HybridIndex,
  type HybridSearchOptions,
  type KernelWorkspace,
  loadQuantizer,
  type MemoryUsage,
  type SearchResult,
  type SnapshotPiece,
  type StrategyIndex,
  wrapStrategyIndex,
} from "@quiver/engine";
import type { Metadata } from "@quiver/events";
import type { PartitionLibrary, PartitionStore } from "@quiver/store";
import {
  blueprintOf,
  deserializeIndex,
  type IndexPhase,
  indexOptions,
  indexSnapshotPieces,
  serializeIndex,
} from "./index-build.js";
import { StoreOriginals } from "./store-originals.js";

export type { IndexPhase } from "./index-build.js";

/** Where searches' time went, ms, accumulated when a request asks for timings. */
export interface SearchTimer {
  rerankMs: number;
}

/**
 * The engine index of one library in one partition, built from its config by the engine's
 * builder: float32 HNSW or flat for `none`; for a quantized strategy, an exact flat index until
 * the training sample is full, then the quantized index (wrapped for reranking when hybrid, with
 * its LRU float32 cache). Its ids are the store's internal ids; its snapshots carry the phase.
 * Its memory is regions of the shard thread's kernel workspace; `dispose` gives it back.
 */
export class LibraryIndex {
  /**
   * Decoded metadata by internal id, filled as filters read it (undefined: not read yet). Filters
   * evaluate it for every candidate, too often for an LMDB read and a msgpack decode each time.
   */
  private readonly metadataCache = new Map<number, Metadata | null>();
  /** JSON size of the cached metadata: the estimate the statistics report. */
  private metadataCacheBytes = 0;
  /**
   * Vector ids by internal id, filled as searches return them (undefined: not read yet). Every
   * hit needs its id, and an LMDB read costs microseconds; the ids found again and again (the
   * graph's hubs, the popular answers) are read once. Maps, not arrays indexed by id: an array
   * is as long as the largest id cached, so a library searched a few times held a slot for each
   * of its ids (about 4 KiB per library and worker of a 1,000-library node).
   */
  private readonly vectorIdCache = new Map<number, string>();
  /** Estimated bytes of the cached ids (string and map entry), counted with the metadata. */
  private vectorIdCacheBytes = 0;

  /**
   * True when restore found no snapshot to start from (none was written, or the one recorded was
   * torn) and built the index from the stored vectors: worth a snapshot even with no id changed.
   */
  builtFromVectors = false;

  private constructor(
    readonly record: PartitionLibrary,
    private readonly built: StrategyIndex,
    private readonly originals: StoreOriginals,
    readonly workspace: KernelWorkspace | undefined,
  ) {}

  /** An empty index (the exact phase of a quantized strategy). */
  static create(
    record: PartitionLibrary,
    store: PartitionStore,
    partition: number,
    workspace?: KernelWorkspace,
  ): LibraryIndex {
    const originals = new StoreOriginals(store, partition, record.libraryId, record.dimension);
    const capacity = store.idBound(partition, record.libraryId);
    const options = indexOptions(record, originals, workspace, capacity);
    const built = createStrategyIndex(blueprintOf(record), undefined, options);
    return new LibraryIndex(record, built, originals, workspace);
  }

  /**
   * The index as of the store's state: its latest snapshot with the ids changed since then
   * reconciled from the store, or, without a snapshot, built from the stored vectors.
   */
  static restore(
    record: PartitionLibrary,
    store: PartitionStore,
    partition: number,
    workspace?: KernelWorkspace,
  ): LibraryIndex {
    const snapshot = store.readSnapshot(partition, record.libraryId);
    if (snapshot) return LibraryIndex.fromSnapshot(record, store, partition, snapshot, workspace);
    const index = LibraryIndex.build(record, store, partition, workspace);
    index.builtFromVectors = true;
    return index;
  }

  /** The index built from the library's stored vectors. */
  private static build(
    record: PartitionLibrary,
    store: PartitionStore,
    partition: number,
    workspace?: KernelWorkspace,
  ): LibraryIndex {
    const parameters = store.quantizer(partition, record.libraryId);
    if (!parameters) {
      const index = LibraryIndex.create(record, store, partition, workspace);
      for (const v of store.vectors(partition, record.libraryId))
        index.upsert(v.internalId, v.vector);
      return index;
    }
    // straight to codes: an exact phase made only to be replaced would open a transient memory
    const originals = new StoreOriginals(store, partition, record.libraryId, record.dimension);
    const blueprint = blueprintOf(record);
    const capacity = store.idBound(partition, record.libraryId);
    const built = createStrategyIndex(
      blueprint,
      loadQuantizer(blueprint.strategy, blueprint.dim, parameters),
      indexOptions(record, originals, workspace, capacity),
    );
    for (const v of store.vectors(partition, record.libraryId))
      built.stored.upsert(v.internalId, v.vector);
    return new LibraryIndex(record, built, originals, workspace);
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
    workspace?: KernelWorkspace,
    changedIds: Iterable<number> = store.dirtyIds(partition, record.libraryId),
  ): LibraryIndex {
    const originals = new StoreOriginals(store, partition, record.libraryId, record.dimension);
    const { inner, phase } = deserializeIndex(record, snapshot, originals, workspace);
    const options = indexOptions(record, originals, workspace);
    const built = wrapStrategyIndex(blueprintOf(record), inner, phase, options);
    const index = new LibraryIndex(record, built, originals, workspace);
    for (const id of changedIds) {
      const vector = store.original(partition, record.libraryId, id);
      if (vector) index.upsert(id, vector);
      else index.delete(id);
    }
    return index;
  }

  get phase(): IndexPhase {
    return this.built.phase;
  }

  get size(): number {
    return this.built.stored.size;
  }

  has(id: number): boolean {
    return this.built.stored.has(id);
  }

  /** The index's own copy of vector `id` (reconstructed from codes when quantized). */
  read(id: number, out: Float32Array): void {
    this.built.stored.store.read(id, out);
  }

  /** Upserts `id` (a hybrid also forgets its cached original). */
  upsert(id: number, vector: Float32Array): void {
    this.built.index.upsert(id, vector);
    this.forgetMetadata(id);
  }

  delete(id: number): void {
    this.built.index.delete(id);
    this.forgetMetadata(id);
  }

  /** Gives the index's memory back to the workspace (the library left this partition). */
  dispose(): void {
    this.built.dispose();
  }

  /** Hybrid's float32 cache: capacity, bytes held, hits and misses (undefined: no cache). */
  float32CacheStats(): Float32CacheStats | undefined {
    return this.built.cache?.stats();
  }

  private forgetMetadata(id: number): void {
    const vectorId = this.vectorIdCache.get(id);
    if (vectorId !== undefined) {
      // an internal id freed by a delete is given to the next new vector
      this.vectorIdCacheBytes -= idBytes(vectorId);
      this.vectorIdCache.delete(id);
    }
    const m = this.metadataCache.get(id);
    if (m === undefined) return;
    // only ids a filter read are in the cache: writing the others would grow it for every vector
    this.metadataCacheBytes -= jsonBytes(m);
    this.metadataCache.delete(id);
  }

  /** Estimated bytes of the metadata cached for filters and of the vector ids cached for hits. */
  get metadataBytes(): number {
    return this.metadataCacheBytes + this.vectorIdCacheBytes;
  }

  /** The vector id of internal id `id` as the store has it, cached ("" when there is none). */
  vectorId(id: number, store: PartitionStore, partition: number): string {
    let vectorId = this.vectorIdCache.get(id);
    if (vectorId === undefined) {
      vectorId = store.vectorId(partition, this.record.libraryId, id) ?? "";
      if (vectorId === "") return vectorId;
      this.vectorIdCache.set(id, vectorId);
      this.vectorIdCacheBytes += idBytes(vectorId);
    }
    return vectorId;
  }

  /** The metadata of vector `id` as the store has it, cached. */
  metadata(id: number, store: PartitionStore, partition: number): Metadata | null {
    let m = this.metadataCache.get(id);
    if (m === undefined) {
      m = store.metadata(partition, this.record.libraryId, id);
      this.metadataCache.set(id, m);
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
    const index = this.built.index;
    if (timer && index instanceof HybridIndex) {
      const candidates = index.candidates(query, k, options);
      const started = performance.now();
      const result = index.rerank(query, candidates, k);
      timer.rerankMs += performance.now() - started;
      return result;
    }
    return index.search(query, k, options);
  }

  memoryUsage(): MemoryUsage {
    return this.built.index.memoryUsage();
  }

  /** The engine snapshot behind a small header: magic, version, phase, flat or HNSW. */
  serialize(): Uint8Array {
    return serializeIndex(this.built.stored, this.phase);
  }

  /**
   * The same bytes as pieces to write one by one, and a release: until it is called, the index's
   * workspace moves none of its regions (change nothing in the index meanwhile).
   */
  snapshotPieces(): { pieces: SnapshotPiece[]; release: () => void } {
    const release = this.built.stored.workspace.pin();
    return { pieces: indexSnapshotPieces(this.built.stored, this.phase), release };
  }
}

/** A Map entry in V8: key, value and chain slots plus its share of the buckets (64-bit). */
const MAP_ENTRY_BYTES = 32;

/** A cached id's string (header and UTF-16 characters) and its map entry. */
function idBytes(vectorId: string): number {
  return 24 + 2 * vectorId.length + MAP_ENTRY_BYTES;
}

/** Cached metadata: its JSON size and its map entry. */
function jsonBytes(m: Metadata | null): number {
  return (m === null ? 8 : JSON.stringify(m).length) + MAP_ENTRY_BYTES;
}
