import { invalidConfig } from "../errors.js";
import { FlatIndex } from "../flat/flat-index.js";
import { HnswIndex } from "../hnsw/hnsw-index.js";
import { CachedOriginals } from "../hybrid/cached-originals.js";
import { HybridIndex } from "../hybrid/hybrid-index.js";
import type { OriginalsSource } from "../hybrid/originals-source.js";
import type { StoreSpec } from "../storage/create-store.js";
import type { StoredIndex, VectorIndex } from "../vector-index.js";
import type { KernelWorkspace } from "../workspace/kernel-workspace.js";
import { codesOf, type IndexBlueprint } from "./strategy-config.js";
import { trainingSampleSize } from "./strategy-config.js";
import { trainQuantizer } from "./train-quantizer.js";

/**
 * `exact`: float32 vectors (strategy none, or a quantized strategy still collecting its training
 * sample); `quantized`: codes of a trained quantizer.
 */
export type IndexPhase = "exact" | "quantized";

export interface StrategyIndexOptions {
  /** Ids expected (sizes the arrays once); else they start small and grow. */
  capacity?: number;
  /**
   * The float32 originals: the hybrid's rerank reads them, and PQ links are chosen on them
   * (docs/engine.md). Required for hybrid.
   */
  originals?: OriginalsSource;
  workspace?: KernelWorkspace;
  /** Rows of the hybrid's LRU float32 cache in front of `originals` (0 or absent: none). */
  float32CacheRows?: number;
}

/** An index built for a strategy, and what it is made of. */
export interface StrategyIndex {
  /** The flat or HNSW index over float32 or codes: what snapshots hold. */
  readonly stored: StoredIndex;
  /** What searches and takes writes: a HybridIndex around `stored` for hybrid, else `stored`. */
  readonly index: VectorIndex;
  readonly phase: IndexPhase;
  /** The hybrid's float32 cache, when it has one. */
  readonly cache: CachedOriginals | undefined;
  /** Frees the stored index, the hybrid and the cache. */
  dispose(): void;
}

/**
 * The empty index of a strategy. Without a trained quantizer, a strategy with codes is in its
 * exact phase: a flat float32 index until its training sample is full (a library searches
 * exactly until then); `none` is float32 of the blueprint's index type. With one: flat or HNSW
 * over its codes, PQ links chosen on the originals when given, wrapped for reranking when hybrid.
 */
export function createStrategyIndex(
  blueprint: IndexBlueprint,
  quantizer: StoreSpec | undefined,
  options: StrategyIndexOptions = {},
): StrategyIndex {
  const { dim, metric } = blueprint;
  const { capacity, workspace } = options;
  const trained = quantizer !== undefined && quantizer.kind !== "f32";
  const trains = codesOf(blueprint.strategy) !== undefined;
  const storage: StoreSpec = trained ? quantizer : { kind: "f32" };
  const base = { dim, metric, storage, capacity, workspace };
  const flat = blueprint.indexType === "flat" || (trains && !trained);
  const stored = flat
    ? // an exact phase is freed whole when its training switches the library to codes
      new FlatIndex({ ...base, transient: trains && !trained })
    : new HnswIndex({
        ...base,
        ...blueprint.hnsw,
        // PQ reconstructions are too coarse to choose links on (docs/engine.md)
        originals: storage.kind === "product" ? options.originals : undefined,
      });
  return wrapStrategyIndex(blueprint, stored, trained ? "quantized" : "exact", options);
}

/**
 * A stored index (new, or restored from a snapshot) wrapped as its strategy searches it: in a
 * HybridIndex (through a float32 cache when asked) for hybrid in the quantized phase.
 */
export function wrapStrategyIndex(
  blueprint: IndexBlueprint,
  stored: StoredIndex,
  phase: IndexPhase,
  options: StrategyIndexOptions = {},
): StrategyIndex {
  const s = blueprint.strategy;
  if (s.strategy !== "hybrid" || phase === "exact")
    return { stored, index: stored, phase, cache: undefined, dispose: () => stored.dispose() };
  const { originals } = options;
  if (originals === undefined)
    throw invalidConfig("originals", "a hybrid index reranks on the float32 originals: give them");
  const rows = options.float32CacheRows ?? 0;
  const cache =
    rows > 0
      ? new CachedOriginals(originals, rows, options.workspace ?? stored.workspace)
      : undefined;
  const hybrid = new HybridIndex({
    quantized: stored,
    originals: cache ?? originals,
    rerankTopK: s.rerank_top_k,
  });
  const dispose = () => {
    hybrid.dispose();
    cache?.dispose();
    stored.dispose();
  };
  return { stored, index: hybrid, phase, cache, dispose };
}

/** Rows to build from: `count` rows of `dim` floats, with their ids (ascending; default: i). */
export interface IndexRows {
  values: Float32Array;
  count: number;
  ids?: ArrayLike<number>;
}

export interface BuildOptions extends StrategyIndexOptions {
  /**
   * Train on fewer rows than the strategy's sample when that is all there is (a benchmark on a
   * sample of a library). By default a strategy whose sample is not full builds its exact phase,
   * as a library does.
   */
  trainOnPartialSample?: boolean;
  /** Called as rows are inserted: (done, total). */
  onProgress?: (done: number, total: number) => void;
}

/** A strategy index built from rows, with the quantizer it trained (undefined: exact phase). */
export interface BuiltStrategyIndex extends StrategyIndex {
  quantizer: StoreSpec | undefined;
}

const PROGRESS_STEPS = 100;

/**
 * Trains the strategy's quantizer on the first rows (see `trainQuantizer`), creates the index and
 * inserts every row: what a migration's rebuild and a benchmark do.
 */
export function buildStrategyIndex(
  blueprint: IndexBlueprint,
  rows: IndexRows,
  options: BuildOptions = {},
): BuiltStrategyIndex {
  const { dim } = blueprint;
  const { values, count, ids } = rows;
  const sample = trainingSampleSize(blueprint.strategy);
  const trains = sample > 0 && count > 0 && (count >= sample || options.trainOnPartialSample);
  const quantizer = trains
    ? trainQuantizer(blueprint.strategy, values, Math.min(count, sample), dim, blueprint.metric)
    : undefined;
  const built = createStrategyIndex(blueprint, quantizer, options);
  const every = Math.max(1, Math.floor(count / PROGRESS_STEPS));
  for (let i = 0; i < count; i++) {
    built.stored.upsert(ids === undefined ? i : ids[i], values.subarray(i * dim, (i + 1) * dim));
    if ((i + 1) % every === 0) options.onProgress?.(i + 1, count);
  }
  options.onProgress?.(count, count);
  return { ...built, quantizer };
}
