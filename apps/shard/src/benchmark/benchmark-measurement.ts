import type {
  BenchmarkJobResponse,
  BenchmarkResult,
  SampledVector,
  ShardBenchmarkRequest,
} from "@quiver/api";
import {
  type BenchmarkInput,
  recommend,
  Rng,
  sampleIndices,
  type StrategyMeasurement,
  strategyLabel,
} from "@quiver/engine";

/** Neighbours per query: the benchmark measures recall@10. */
export const K = 10;
const QUERY_SEED = 2;

/**
 * The engine's input for a job: the sample as the base, and the caller's queries or rows of the
 * sample (each left out of its own answers). Its arrays are fresh: they can move to a thread.
 */
export function benchmarkInput(
  request: ShardBenchmarkRequest,
  sampled: SampledVector[],
): BenchmarkInput {
  const dim = request.dimension;
  const n = sampled.length;
  if (n <= K) throw new Error(`the shards answered ${n} vectors; a benchmark needs more than ${K}`);
  const base = new Float32Array(n * dim);
  sampled.forEach((v, i) => base.set(v.vector, i * dim));
  let queries: Float32Array;
  let queryRows: Int32Array | undefined;
  if (request.queries.source === "request") queries = request.queries.vectors.slice();
  else {
    const rows = sampleIndices(n, request.queries.count, new Rng(QUERY_SEED));
    queries = new Float32Array(rows.length * dim);
    rows.forEach((row, i) => queries.set(base.subarray(row * dim, (row + 1) * dim), i * dim));
    queryRows = Int32Array.from(rows);
  }
  return {
    base,
    count: n,
    dim,
    metric: request.metric,
    indexType: request.indexType,
    hnsw: request.hnsw,
    queries,
    queryCount: queries.length / dim,
    queryRows,
    strategies: request.strategies,
    k: K,
  };
}

/** The buffers of an input that move to the benchmark thread. */
export function transferOf(input: BenchmarkInput): ArrayBuffer[] {
  const buffers = [input.base.buffer, input.queries.buffer] as ArrayBuffer[];
  if (input.queryRows) buffers.push(input.queryRows.buffer as ArrayBuffer);
  return [...new Set(buffers)];
}

/** A completed job's results, recommendation and sample, from the engine's measurements. */
export function completedJob(
  request: ShardBenchmarkRequest,
  measured: StrategyMeasurement[],
  base: number,
  queries: number,
): Partial<BenchmarkJobResponse> {
  const extrapolated = request.libraryVectors > base;
  const scale = extrapolated ? request.libraryVectors / base : 1;
  const results = measured.map((m) => resultRow(m, scale, extrapolated));
  const choice = recommend({
    rows: results.map((r) => ({
      strategy: r.strategy,
      memoryBytes: r.memory_bytes,
      recall: r["recall@10"],
      p95LatencyMs: r.p95_latency_ms,
    })),
    targetRecall: request.targetRecall,
    memoryBudgetBytes: request.memoryBudgetBytes,
  });
  return {
    status: "completed",
    progress: 1,
    results,
    recommendation: choice.strategy,
    recommended_config: results[choice.index].quantization_config,
    reason: choice.reason,
    sample: {
      library_vectors: request.libraryVectors,
      base_vectors: base,
      queries,
      query_source: request.queries.source,
      memory_estimated: extrapolated,
      note: extrapolated
        ? `memory extrapolated from a sample of ${base} of ${request.libraryVectors} vectors; ` +
          "recall and latency measured on the sample"
        : `measured on all ${base} vectors of the library`,
    },
  };
}

function resultRow(m: StrategyMeasurement, scale: number, estimated: boolean): BenchmarkResult {
  const memoryBytes = Math.round(m.memoryBytes * scale);
  return {
    strategy: strategyLabel(m.config),
    quantization_config: { ...m.config },
    memory_mb: round(memoryBytes / 1e6, 3),
    memory_bytes: memoryBytes,
    memory_estimated: estimated,
    bytes_per_vector: round(m.bytesPerVector, 1),
    "recall@10": round(m.recall, 4),
    avg_latency_ms: round(m.avgLatencyMs, 4),
    p95_latency_ms: round(m.p95LatencyMs, 4),
    build_seconds: round(m.buildSeconds, 2),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
