import type { IdFilter } from "./hnsw/layer-search.js";
import type { Metric } from "./metric.js";
import type { StoreSpec } from "./storage/create-store.js";
import type { VectorStore } from "./storage/vector-store.js";

export type { IdFilter };

export interface SearchOptions {
  /** Size of the dynamic candidate list (HNSW); raised to k when smaller. */
  ef?: number;
  /** Only ids for which this returns true are returned (evaluated on admission). */
  filter?: IdFilter;
}

export interface SearchResult {
  /** Ids in ascending distance order. */
  ids: Uint32Array;
  distances: Float32Array;
  /** Distances computed by the search (a measure of its work). */
  distanceCount: number;
}

/** Bytes an index holds in RAM, by component. */
export interface MemoryUsage {
  /** Vectors or codes the search reads (float32 records, 8-bit codes, PQ codes). */
  vectors: number;
  /** Quantizer parameters (ranges, codebooks). */
  quantizer: number;
  /** Graph links and per-node bookkeeping. */
  graph: number;
  /** Float32 originals held in RAM for reranking (hybrid). */
  originals: number;
  /** Scratch buffers and visited marks. */
  other: number;
  total: number;
}

export function memoryUsage(parts: Omit<MemoryUsage, "total">): MemoryUsage {
  return {
    ...parts,
    total: parts.vectors + parts.quantizer + parts.graph + parts.originals + parts.other,
  };
}

/**
 * Memory of an index over a store, as resident pages: the records of ids < `records` (the arena
 * beyond them is reserved for growth, never written, so the OS backs it with no pages), the
 * quantizer's parameters, the index's own structures (`graph`), and as `other` the rest of the
 * Wasm memory below the arena (kernel scratch) plus the index's JS scratch.
 */
export function storedMemoryUsage(
  store: VectorStore,
  records: number,
  graph: number,
  jsScratch: number,
): MemoryUsage {
  const vectors = Math.min(records, store.capacity) * store.recordBytes;
  const quantizer = store.parameterBytes();
  return memoryUsage({
    vectors,
    quantizer,
    graph,
    originals: 0,
    other: Math.max(0, store.arenaOffset() - quantizer) + jsScratch,
  });
}

/** Options shared by the indexes over a store. */
export interface StoredIndexOptions {
  dim: number;
  metric: Metric;
  /** Float32 (default) or codes of a trained quantizer. */
  storage?: StoreSpec;
  /** Ids expected, to size the arrays once. */
  capacity?: number;
}

/** What every index (HNSW, flat, hybrid) offers. Ids are dense non-negative integers. */
export interface VectorIndex {
  readonly dim: number;
  readonly metric: Metric;
  /** Live (not deleted) vectors. */
  readonly size: number;
  has(id: number): boolean;
  /** Inserts `vector` under `id`, or replaces the vector already there. */
  upsert(id: number, vector: ArrayLike<number>): void;
  /** Removes `id`; returns false when it was not there. */
  delete(id: number): boolean;
  search(query: ArrayLike<number>, k: number, options?: SearchOptions): SearchResult;
  memoryUsage(): MemoryUsage;
}

/** An index whose vectors live in a VectorStore (flat and HNSW). */
export interface StoredIndex extends VectorIndex {
  readonly store: VectorStore;
  /** Makes room for ids < capacity without growing later (e.g. before a bulk load). */
  reserve(capacity: number): void;
  serialize(): Uint8Array;
}
