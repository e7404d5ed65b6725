import {
  FlatIndex,
  HnswIndex,
  type OriginalsSource,
  ProductQuantizer,
  ScalarQuantizer,
  type StoredIndex,
  type StoreSpec,
} from "@quiver/engine";
import {
  codesOf,
  effectiveQuantization,
  type QuantizationConfig,
  trainingSampleSize,
} from "@quiver/events";
import type { PartitionLibrary } from "@quiver/store";

/**
 * `exact`: float32 vectors (strategy none, or a quantized strategy still collecting its training
 * sample); `quantized`: codes of a trained quantizer.
 */
export type IndexPhase = "exact" | "quantized";

/** The vectors an index is built from, row by row, with their internal ids (ascending). */
export interface VectorRows {
  ids: ArrayLike<number>;
  values: Float32Array;
}

/** A library's index built from its vectors, with the quantizer parameters to persist. */
export interface BuiltIndex {
  inner: StoredIndex;
  phase: IndexPhase;
  /** Serialized quantizer (undefined in the exact phase). */
  quantizer: Uint8Array | undefined;
}

const SNAPSHOT_MAGIC = [0x51, 0x56, 0x4c, 0x49]; // "QVLI"
const SNAPSHOT_VERSION = 1;
const HEADER_BYTES = 8;

function hnswOptions(record: PartitionLibrary) {
  return {
    m: record.hnsw.m,
    efConstruction: record.hnsw.ef_construction,
    efSearch: record.hnsw.ef_search,
  };
}

/** Float32 index: the library's own for `none`, flat while a quantized strategy collects samples. */
export function exactIndex(record: PartitionLibrary, capacity: number): StoredIndex {
  const base = { dim: record.dimension, metric: record.metric, capacity };
  const trains = trainingSampleSize(record.quantization) > 0;
  if (record.indexType === "flat" || trains) return new FlatIndex(base);
  return new HnswIndex({ ...base, ...hnswOptions(record) });
}

/** Trains the strategy's quantizer on the first `n` rows of `sample`. */
export function trainQuantizer(
  config: QuantizationConfig,
  sample: Float32Array,
  n: number,
  dim: number,
): StoreSpec {
  const q = effectiveQuantization(config);
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

/** A quantizer spec from stored parameters. */
export function quantizerSpec(record: PartitionLibrary, parameters: Uint8Array): StoreSpec {
  const codes = codesOf(record.quantization);
  if (codes === "scalar")
    return { kind: "scalar", quantizer: ScalarQuantizer.deserialize(parameters, record.dimension) };
  if (codes === "product")
    return {
      kind: "product",
      quantizer: ProductQuantizer.deserialize(parameters, record.dimension),
    };
  return { kind: "f32" };
}

/** An empty index over codes; PQ links are chosen on the originals. */
export function codesIndex(
  record: PartitionLibrary,
  spec: StoreSpec,
  capacity: number,
  originals: OriginalsSource,
): StoredIndex {
  const base = { dim: record.dimension, metric: record.metric, storage: spec, capacity };
  return record.indexType === "flat"
    ? new FlatIndex(base)
    : new HnswIndex({
        ...base,
        ...hnswOptions(record),
        originals: spec.kind === "product" ? originals : undefined,
      });
}

/** The training sample: the first rows (in internal id order), unit length for cosine. */
export function trainingSample(
  record: Pick<PartitionLibrary, "dimension" | "metric" | "quantization">,
  rows: Iterable<Float32Array>,
): { sample: Float32Array; n: number } {
  const { dimension, metric } = record;
  const size = trainingSampleSize(record.quantization);
  const sample = new Float32Array(size * dimension);
  let n = 0;
  for (const v of rows) {
    if (n === size) break;
    sample.set(metric === "cosine" ? unit(v) : v, n * dimension);
    n++;
  }
  return { sample, n };
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
  progress?: (done: number, total: number) => void,
  quantizer?: Uint8Array,
): BuiltIndex {
  const dim = record.dimension;
  const total = rows.ids.length;
  const row = (i: number) => rows.values.subarray(i * dim, (i + 1) * dim);
  const built: BuiltIndex =
    quantizer && codesOf(record.quantization)
      ? {
          inner: codesIndex(record, quantizerSpec(record, quantizer), capacity, originals),
          phase: "quantized",
          quantizer,
        }
      : { inner: exactIndex(record, capacity), phase: "exact", quantizer: undefined };
  const every = Math.max(1, Math.floor(total / 100));
  for (let i = 0; i < total; i++) {
    built.inner.upsert(rows.ids[i], row(i));
    if (progress && (i + 1) % every === 0) progress(i + 1, total);
  }
  progress?.(total, total);
  return built;
}

/** The engine snapshot behind a small header: magic, version, phase, flat or HNSW. */
export function serializeIndex(inner: StoredIndex, phase: IndexPhase): Uint8Array {
  const engine = inner.serialize();
  const out = new Uint8Array(HEADER_BYTES + engine.byteLength);
  out.set(SNAPSHOT_MAGIC, 0);
  out[4] = SNAPSHOT_VERSION;
  out[5] = phase === "exact" ? 0 : 1;
  out[6] = inner instanceof FlatIndex ? 0 : 1;
  out.set(engine, HEADER_BYTES);
  return out;
}

/** An index back from serializeIndex's bytes; PQ graphs read the originals through `originals`. */
export function deserializeIndex(
  record: PartitionLibrary,
  bytes: Uint8Array,
  originals: OriginalsSource,
): { inner: StoredIndex; phase: IndexPhase } {
  const ok = SNAPSHOT_MAGIC.every((b, i) => bytes[i] === b) && bytes[4] === SNAPSHOT_VERSION;
  if (!ok || bytes.byteLength < HEADER_BYTES)
    throw new Error("not a library index snapshot of a known version");
  const phase: IndexPhase = bytes[5] === 0 ? "exact" : "quantized";
  const engineBytes = bytes.subarray(HEADER_BYTES);
  const inner =
    bytes[6] === 0
      ? FlatIndex.deserialize(engineBytes)
      : HnswIndex.deserialize(engineBytes, {
          originals:
            phase === "quantized" && codesOf(record.quantization) === "product"
              ? originals
              : undefined,
        });
  return { inner, phase };
}

function unit(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  if (s === 0) return v;
  const inv = 1 / Math.sqrt(s);
  return v.map((x) => x * inv);
}
