import {
  codesOf,
  createStrategyIndex,
  FlatIndex,
  HnswIndex,
  type IndexBlueprint,
  type IndexPhase,
  joinPieces,
  type KernelWorkspace,
  type OriginalsSource,
  type SnapshotPiece,
  type StoredIndex,
  type StrategyConfig,
  loadQuantizer,
  type StrategyIndex,
  type StrategyIndexOptions,
} from "@quiver/engine";
import { effectiveQuantization, QUANTIZATION_DEFAULTS } from "@quiver/events";
import type { PartitionLibrary } from "@quiver/store";

export type { IndexPhase } from "@quiver/engine";

/** The vectors an index is built from, row by row, with their internal ids (ascending). */
export interface VectorRows {
  ids: ArrayLike<number>;
  values: Float32Array;
}

const SNAPSHOT_MAGIC = [0x51, 0x56, 0x4c, 0x49]; // "QVLI"
const SNAPSHOT_VERSION = 1;
const HEADER_BYTES = 8;

/** What the engine builds for a library: its config mapped onto the engine's strategy. */
export function blueprintOf(record: PartitionLibrary): IndexBlueprint {
  // the events' concrete config is the engine's StrategyConfig plus keys the engine ignores
  const strategy: StrategyConfig = effectiveQuantization(record.quantization);
  return {
    dim: record.dimension,
    metric: record.metric,
    indexType: record.indexType,
    hnsw: {
      m: record.hnsw.m,
      efConstruction: record.hnsw.ef_construction,
      efSearch: record.hnsw.ef_search,
    },
    strategy,
  };
}

/**
 * The engine options of a library's index in this partition: its originals, the thread's
 * workspace, an id capacity hint, and its share of the hybrid's float32 cache budget.
 */
export function indexOptions(
  record: PartitionLibrary,
  originals: OriginalsSource,
  workspace: KernelWorkspace | undefined,
  capacity?: number,
): StrategyIndexOptions {
  return {
    originals,
    workspace,
    capacity: capacity || undefined,
    float32CacheRows: cacheRows(record),
  };
}

/** Rows of this partition's share of the library's float32 cache budget (MB = 10^6 bytes). */
function cacheRows(record: PartitionLibrary): number {
  const q = effectiveQuantization(record.quantization);
  if (q.strategy !== "hybrid") return 0;
  const mb = q.float32_cache_mb ?? QUANTIZATION_DEFAULTS.hybrid.float32_cache_mb;
  return Math.floor((mb * 1e6) / (record.partitions ?? 1) / (record.dimension * 4));
}

/**
 * Builds a library's index from all its vectors, as a partition would have it: float32 for
 * `none`; for a strategy on codes, the codes of `quantizer` (trained once for the library,
 * elsewhere), or exact float32 while there is none. `progress(done, total)` follows the inserts.
 */
export function buildLibraryIndex(
  record: PartitionLibrary,
  rows: VectorRows,
  capacity: number,
  originals: OriginalsSource,
  workspace?: KernelWorkspace,
  progress?: (done: number, total: number) => void,
  quantizer?: Uint8Array,
): StrategyIndex {
  const blueprint = blueprintOf(record);
  const spec = quantizer ? loadQuantizer(blueprint.strategy, blueprint.dim, quantizer) : undefined;
  const built = createStrategyIndex(
    blueprint,
    spec,
    indexOptions(record, originals, workspace, capacity),
  );
  const { dimension: dim } = record;
  const total = rows.ids.length;
  const every = Math.max(1, Math.floor(total / 100));
  for (let i = 0; i < total; i++) {
    built.stored.upsert(rows.ids[i], rows.values.subarray(i * dim, (i + 1) * dim));
    if (progress && (i + 1) % every === 0) progress(i + 1, total);
  }
  progress?.(total, total);
  return built;
}

/** The engine snapshot behind a small header: magic, version, phase, flat or HNSW. */
export function serializeIndex(inner: StoredIndex, phase: IndexPhase): Uint8Array {
  return joinPieces(indexSnapshotPieces(inner, phase));
}

/** serializeIndex's bytes as pieces to write one by one (see StoredIndex.snapshotPieces). */
export function indexSnapshotPieces(inner: StoredIndex, phase: IndexPhase): SnapshotPiece[] {
  const header = new Uint8Array(HEADER_BYTES);
  header.set(SNAPSHOT_MAGIC, 0);
  header[4] = SNAPSHOT_VERSION;
  header[5] = phase === "exact" ? 0 : 1;
  header[6] = inner instanceof FlatIndex ? 0 : 1;
  return [{ length: HEADER_BYTES, bytes: () => header }, ...inner.snapshotPieces()];
}

/** An index back from serializeIndex's bytes; PQ graphs read the originals through `originals`. */
export function deserializeIndex(
  record: PartitionLibrary,
  bytes: Uint8Array,
  originals: OriginalsSource,
  workspace?: KernelWorkspace,
): { inner: StoredIndex; phase: IndexPhase } {
  const ok = SNAPSHOT_MAGIC.every((b, i) => bytes[i] === b) && bytes[4] === SNAPSHOT_VERSION;
  if (!ok || bytes.byteLength < HEADER_BYTES)
    throw new Error("not a library index snapshot of a known version");
  const phase: IndexPhase = bytes[5] === 0 ? "exact" : "quantized";
  const engineBytes = bytes.subarray(HEADER_BYTES);
  const codes = codesOf(blueprintOf(record).strategy);
  const product = phase === "quantized" && codes === "product";
  const inner =
    bytes[6] === 0
      ? FlatIndex.deserialize(engineBytes, {
          workspace,
          // the exact phase of a strategy on codes: freed whole once it is trained
          transient: phase === "exact" && codes !== undefined,
        })
      : HnswIndex.deserialize(engineBytes, {
          workspace,
          // PQ graphs keep choosing links on the originals, as createStrategyIndex builds them
          originals: product ? originals : undefined,
        });
  return { inner, phase };
}
