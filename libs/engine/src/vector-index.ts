import type { SnapshotPiece } from "./snapshot/snapshot-format.js";
import type { IdFilter } from "./hnsw/layer-search.js";
import type { Metric } from "./metric.js";
import type { StoreSpec } from "./storage/create-store.js";
import type { VectorStore } from "./storage/vector-store.js";
import type { KernelWorkspace } from "./workspace/kernel-workspace.js";

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

/**
 * Bytes an index holds in RAM, by component, as allocated (capacity grows geometrically with
 * the ids). The scratch its operations use is its workspace's, shared by every index there, and
 * reported by the workspace (KernelWorkspace.figures), not here.
 */
export interface MemoryUsage {
  /** Vectors or codes the search reads (float32 records, 8-bit codes, PQ codes). */
  vectors: number;
  /** Quantizer parameters (ranges, codebooks), in the kernels' layout and the quantizer's. */
  quantizer: number;
  /** Graph links and per-node bookkeeping. */
  graph: number;
  /** Float32 originals held in RAM for reranking (hybrid). */
  originals: number;
  /** Anything else the index holds on its own. */
  other: number;
  total: number;
}

export function memoryUsage(parts: Omit<MemoryUsage, "total">): MemoryUsage {
  return {
    ...parts,
    total: parts.vectors + parts.quantizer + parts.graph + parts.originals + parts.other,
  };
}

/** Memory of an index over a store: its record arena, its quantizer, its own structures. */
export function storedMemoryUsage(store: VectorStore, graph: number): MemoryUsage {
  return memoryUsage({
    vectors: store.arenaBytes(),
    quantizer: store.parameterBytes(),
    graph,
    originals: 0,
    other: 0,
  });
}

/** Options shared by the indexes over a store. */
export interface StoredIndexOptions {
  dim: number;
  metric: Metric;
  /** Float32 (default) or codes of a trained quantizer. */
  storage?: StoreSpec;
  /** Ids expected, to size the arrays once (else they start small and grow geometrically). */
  capacity?: number;
  /**
   * The thread's kernel workspace, shared by every index it builds; without one, the index gets
   * a private workspace (one Wasm memory of its own: fine for a few indexes, not thousands).
   */
  workspace?: KernelWorkspace;
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
  /**
   * Gives the index's memory back to its workspace (a deleted library). Idempotent; any other
   * call afterwards throws EngineError DISPOSED.
   */
  dispose(): void;
}

/** An index whose vectors live in a VectorStore (flat and HNSW). */
export interface StoredIndex extends VectorIndex {
  readonly store: VectorStore;
  readonly workspace: KernelWorkspace;
  /** Makes room for ids < capacity without growing later (e.g. before a bulk load). */
  reserve(capacity: number): void;
  serialize(): Uint8Array;
  /**
   * The same bytes as `serialize`, as pieces to write one by one without a copy of the whole
   * index; the index must not change, nor its workspace compact (`pin`), until they are written.
   */
  snapshotPieces(): SnapshotPiece[];
}
