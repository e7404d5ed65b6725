import { exactNeighbours } from "../exact/ground-truth.js";
import { recallAtK } from "../exact/recall.js";
import { FlatIndex } from "../flat/flat-index.js";
import { HnswIndex } from "../hnsw/hnsw-index.js";
import { HybridIndex } from "../hybrid/hybrid-index.js";
import type { OriginalsSource } from "../hybrid/originals-source.js";
import { ProductQuantizer } from "../quantization/product-quantizer.js";
import { ScalarQuantizer } from "../quantization/scalar-quantizer.js";
import type { StoreSpec } from "../storage/create-store.js";
import type { StoredIndex } from "../vector-index.js";
import {
  type BenchmarkInput,
  type BenchmarkStrategy,
  codesKey,
  type StrategyMeasurement,
} from "./benchmark-config.js";

/** Fraction of the whole run done, in [0, 1], never decreasing. */
export type BenchmarkProgress = (fraction: number) => void;

const WARM_UP_QUERIES = 100;
const LATENCY_PASSES = 3;
const PROGRESS_EVERY = 1000;

/**
 * Builds each strategy's index over the base the way a shard does (quantizer trained on the first
 * vectors, HNSW or flat over its codes, PQ links chosen on the originals, hybrid reranking from the
 * originals) and measures it against exact float32 search: memory, recall@k, latency per query.
 * Strategies searching the same codes (scalar and hybrid over scalar) share one build. Results
 * come in the order of `input.strategies`.
 */
export function runBenchmark(
  input: BenchmarkInput,
  onProgress: BenchmarkProgress = () => {},
): StrategyMeasurement[] {
  const k = input.k ?? 10;
  const groups = new Map<string, BenchmarkStrategy[]>();
  for (const s of input.strategies) {
    const key = codesKey(s);
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  // Work units: one per query of the exact scan (weighted as a scan of the base), one per vector
  // trained on and one per vector inserted.
  const truthUnits = input.count;
  let total = truthUnits;
  for (const [, members] of groups) total += trainingRows(members[0], input.count) + input.count;
  let done = 0;
  const advance = (units: number) => {
    done += units;
    onProgress(Math.min(1, done / total));
  };

  const truth = groundTruth(input, k, (fraction) =>
    onProgress(Math.min(1, (done + fraction * truthUnits) / total)),
  );
  done = truthUnits;
  const originals = new RowOriginals(input.base, input.dim);
  const measured = new Map<BenchmarkStrategy, StrategyMeasurement>();
  for (const [, members] of groups) {
    const t0 = performance.now();
    const index = buildIndex(input, members[0], originals, advance);
    const buildSeconds = (performance.now() - t0) / 1000;
    for (const s of members) {
      const target =
        s.strategy === "hybrid"
          ? new HybridIndex({ quantized: index, originals, rerankTopK: s.rerank_top_k })
          : index;
      const memoryBytes = target.memoryUsage().total;
      measured.set(s, {
        config: s,
        memoryBytes,
        bytesPerVector: memoryBytes / input.count,
        buildSeconds,
        ...measureSearch(input, target, k, truth),
      });
    }
  }
  onProgress(1);
  return input.strategies.map((s) => measured.get(s)!);
}

/** The float32 originals, read where they are: a stand-in for the shard's LMDB (not in RAM). */
class RowOriginals implements OriginalsSource {
  constructor(
    private readonly base: Float32Array,
    readonly dim: number,
  ) {}

  read(id: number, out: Float32Array, offset: number): boolean {
    out.set(this.base.subarray(id * this.dim, (id + 1) * this.dim), offset);
    return true;
  }

  residentBytes(): number {
    return 0;
  }
}

/** Exact k nearest rows of every query, a query's own row left out: `queryCount * k` ids. */
export function groundTruth(
  input: BenchmarkInput,
  k: number,
  onFraction: (fraction: number) => void = () => {},
): Uint32Array {
  const wide = k + 1;
  const exact = exactNeighbours(
    input.base,
    input.count,
    input.queries,
    input.queryCount,
    input.dim,
    wide,
    input.metric,
    (q) => onFraction(q / input.queryCount),
  );
  const truth = new Uint32Array(input.queryCount * k);
  for (let q = 0; q < input.queryCount; q++) {
    const own = input.queryRows?.[q] ?? -1;
    let j = 0;
    for (let i = 0; i < wide && j < k; i++) {
      const id = exact.ids[q * wide + i];
      if (id !== own) truth[q * k + j++] = id;
    }
  }
  return truth;
}

function trainingRows(s: BenchmarkStrategy, count: number): number {
  switch (s.strategy) {
    case "none":
      return 0;
    case "scalar":
      return Math.min(count, s.calibration_samples);
    case "product":
      return Math.min(count, s.training_samples);
    case "hybrid":
      return Math.min(
        count,
        s.initial_search === "scalar" ? s.calibration_samples : s.training_samples,
      );
  }
}

/** A quantizer trained as a shard trains it: on the first vectors, unit length for cosine. */
function storeSpec(input: BenchmarkInput, s: BenchmarkStrategy): StoreSpec {
  if (s.strategy === "none") return { kind: "f32" };
  const n = trainingRows(s, input.count);
  const sample = input.base.slice(0, n * input.dim);
  if (input.metric === "cosine") normalizeRows(sample, input.dim);
  const codes = s.strategy === "hybrid" ? s.initial_search : s.strategy;
  if (codes === "scalar" && "bits" in s)
    return {
      kind: "scalar",
      quantizer: ScalarQuantizer.train(sample, n, input.dim, { bits: s.bits }),
    };
  if (codes === "product" && "subvectors" in s)
    return {
      kind: "product",
      quantizer: ProductQuantizer.train(sample, n, input.dim, {
        subvectors: s.subvectors,
        codebookSize: s.codebook_size,
      }),
    };
  throw new Error(`no codes for strategy ${s.strategy}`);
}

function buildIndex(
  input: BenchmarkInput,
  s: BenchmarkStrategy,
  originals: OriginalsSource,
  advance: (units: number) => void,
): StoredIndex {
  const storage = storeSpec(input, s);
  advance(trainingRows(s, input.count));
  const base = { dim: input.dim, metric: input.metric, storage, capacity: input.count };
  const index =
    input.indexType === "flat"
      ? new FlatIndex(base)
      : new HnswIndex({
          ...base,
          m: input.hnsw.m,
          efConstruction: input.hnsw.efConstruction,
          efSearch: input.hnsw.efSearch,
          // PQ reconstructions are too coarse to choose links on (docs/engine.md)
          originals: storage.kind === "product" ? originals : undefined,
        });
  const dim = input.dim;
  let reported = 0;
  for (let i = 0; i < input.count; i++) {
    index.upsert(i, input.base.subarray(i * dim, (i + 1) * dim));
    if (i + 1 - reported >= PROGRESS_EVERY) {
      advance(i + 1 - reported);
      reported = i + 1;
    }
  }
  advance(input.count - reported);
  return index;
}

/**
 * Runs every query `LATENCY_PASSES` times after a warm-up; a query's latency is the median of its
 * passes (a pass that lost the CPU to another process does not count), recall is the last pass's.
 */
function measureSearch(
  input: BenchmarkInput,
  target: Pick<HybridIndex, "search">,
  k: number,
  truth: Uint32Array,
): Pick<StrategyMeasurement, "recall" | "avgLatencyMs" | "p95LatencyMs"> {
  const dim = input.dim;
  const options = { ef: input.hnsw.efSearch };
  const query = (q: number) => input.queries.subarray(q * dim, (q + 1) * dim);
  const own = (q: number) => input.queryRows?.[q] ?? -1;
  for (let q = 0; q < Math.min(WARM_UP_QUERIES, input.queryCount); q++)
    target.search(query(q), k, options);
  const passes = Array.from({ length: LATENCY_PASSES }, () => new Float64Array(input.queryCount));
  const found: Uint32Array[] = new Array(input.queryCount);
  for (const times of passes) {
    for (let q = 0; q < input.queryCount; q++) {
      const excluded = own(q);
      const t0 = performance.now();
      const ids = target.search(query(q), excluded >= 0 ? k + 1 : k, options).ids;
      times[q] = performance.now() - t0;
      found[q] = excluded >= 0 ? withoutId(ids, excluded, k) : ids;
    }
  }
  const latencies = new Float64Array(input.queryCount);
  const perQuery = new Float64Array(LATENCY_PASSES);
  for (let q = 0; q < input.queryCount; q++) {
    passes.forEach((times, p) => (perQuery[p] = times[q]));
    latencies[q] = perQuery.sort()[LATENCY_PASSES >> 1];
  }
  latencies.sort();
  const sum = latencies.reduce((a, b) => a + b, 0);
  return {
    recall: recallAtK(found, truth, k, k),
    avgLatencyMs: input.queryCount > 0 ? sum / input.queryCount : 0,
    p95LatencyMs: percentile(latencies, 0.95),
  };
}

function withoutId(ids: Uint32Array, id: number, k: number): Uint32Array {
  const out = ids.filter((x) => x !== id);
  return out.length > k ? out.subarray(0, k) : out;
}

/** Nearest-rank percentile of ascending values. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

function normalizeRows(rows: Float32Array, dim: number): void {
  for (let r = 0; r < rows.length; r += dim) {
    let s = 0;
    for (let i = r; i < r + dim; i++) s += rows[i] * rows[i];
    if (s === 0) continue;
    const inv = 1 / Math.sqrt(s);
    for (let i = r; i < r + dim; i++) rows[i] *= inv;
  }
}
