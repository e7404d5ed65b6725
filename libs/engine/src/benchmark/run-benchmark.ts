import {
  buildStrategyIndex,
  type StrategyIndex,
  wrapStrategyIndex,
} from "../build/strategy-index.js";
import {
  codesKey,
  type IndexBlueprint,
  type StrategyConfig,
  trainingSampleSize,
} from "../build/strategy-config.js";
import { exactNeighbours } from "../exact/ground-truth.js";
import { recallAtK } from "../exact/recall.js";
import type { OriginalsSource } from "../hybrid/originals-source.js";
import type { VectorIndex } from "../vector-index.js";
import { KernelWorkspace } from "../workspace/kernel-workspace.js";
import { type BenchmarkInput, type StrategyMeasurement } from "./benchmark-config.js";

/** Fraction of the whole run done, in [0, 1], never decreasing. */
export type BenchmarkProgress = (fraction: number) => void;

const WARM_UP_QUERIES = 100;
const LATENCY_PASSES = 3;

/**
 * Builds each strategy's index over the base with the shards' builder (buildStrategyIndex:
 * quantizer trained on the first vectors, HNSW or flat over its codes, PQ links chosen on the
 * originals, hybrid reranking from the originals) and measures it against exact float32 search:
 * memory, recall@k, latency per query. Strategies searching the same codes (scalar and hybrid
 * over scalar) share one build. Results come in the order of `input.strategies`; the indexes
 * share one kernel workspace and are disposed once measured.
 */
export function runBenchmark(
  input: BenchmarkInput,
  onProgress: BenchmarkProgress = () => {},
): StrategyMeasurement[] {
  const k = input.k ?? 10;
  const groups = new Map<string, StrategyConfig[]>();
  for (const s of input.strategies) {
    const key = codesKey(s);
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  // Work units: one per query of the exact scan (weighted as a scan of the base), one per vector
  // trained on and one per vector inserted.
  const truthUnits = input.count;
  let total = truthUnits;
  for (const [, members] of groups) total += trainingRows(members[0], input.count) + input.count;
  const workspace = new KernelWorkspace();
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
  const measured = new Map<StrategyConfig, StrategyMeasurement>();
  for (const [, members] of groups) {
    const t0 = performance.now();
    const built = buildIndex(input, members[0], originals, workspace, advance);
    const buildSeconds = (performance.now() - t0) / 1000;
    for (const s of members) {
      const wrapped =
        s === members[0]
          ? built
          : wrapStrategyIndex(blueprintOf(input, s), built.stored, built.phase, { originals });
      const target = wrapped.index;
      const memoryBytes = target.memoryUsage().total;
      measured.set(s, {
        config: s,
        memoryBytes,
        bytesPerVector: memoryBytes / input.count,
        buildSeconds,
        ...measureSearch(input, target, k, truth),
      });
      if (wrapped !== built) wrapped.index.dispose();
    }
    built.dispose();
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

function trainingRows(s: StrategyConfig, count: number): number {
  return Math.min(count, trainingSampleSize(s));
}

function blueprintOf(input: BenchmarkInput, strategy: StrategyConfig): IndexBlueprint {
  const { dim, metric, indexType, hnsw } = input;
  return { dim, metric, indexType, hnsw, strategy };
}

/** The strategy's index as a shard builds it, trained on the first vectors of the base. */
function buildIndex(
  input: BenchmarkInput,
  s: StrategyConfig,
  originals: OriginalsSource,
  workspace: KernelWorkspace,
  advance: (units: number) => void,
): StrategyIndex {
  let reported = 0;
  const built = buildStrategyIndex(
    blueprintOf(input, s),
    { values: input.base, count: input.count },
    {
      capacity: input.count,
      originals,
      workspace,
      // a benchmark measures the strategy, even on a sample smaller than its training sample
      trainOnPartialSample: true,
      onProgress: (done) => {
        if (reported === 0) advance(trainingRows(s, input.count));
        advance(done - reported);
        reported = done;
      },
    },
  );
  return built;
}

/**
 * Runs every query `LATENCY_PASSES` times after a warm-up; a query's latency is the median of its
 * passes (a pass that lost the CPU to another process does not count), recall is the last pass's.
 */
function measureSearch(
  input: BenchmarkInput,
  target: Pick<VectorIndex, "search">,
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
