import {
  benchmarkPath,
  ApiError,
  ApiErrorCode,
  BENCHMARK_DEFAULTS,
  type BenchmarkBody,
  type BenchmarkJobResponse,
  type BenchmarkResult,
} from "@quiver/api";
import {
  recommend,
  Rng,
  sampleIndices,
  type StrategyMeasurement,
  strategyLabel,
} from "@quiver/engine";
import type { LibraryRecord } from "@quiver/events";
import { randomBytes } from "node:crypto";
import type { ServiceContext } from "../context.js";
import { sampleLibraryVectors } from "../sample-vectors.js";
import { gatherLibraryStats } from "../statistics-service.js";
import {
  type ConcreteQuantization,
  resolveStrategies,
  resolveTestQueries,
  type TestQueries,
} from "./benchmark-request.js";
import { runBenchmarkInWorker } from "./run-in-worker.js";

const K = 10;
/** Share of the progress that fetching the sample from the shards stands for. */
const SAMPLING_SHARE = 0.02;
/** Finished jobs kept for GET; the oldest go first. */
const KEPT_JOBS = 100;
const BASE_SEED = 1;
const QUERY_SEED = 2;

interface Job {
  response: BenchmarkJobResponse;
  startedMs: number;
}

interface Plan {
  library: LibraryRecord;
  strategies: ConcreteQuantization[];
  queries: TestQueries;
  sampleSize: number;
  libraryVectors: number;
  targetRecall: number;
  memoryBudgetBytes?: number;
}

/**
 * Benchmark jobs: each measures the requested strategies on a sample of a library's own vectors
 * in a worker thread, then recommends one. Jobs live in this coordinator's memory (a restart
 * forgets them); one runs per library at a time.
 */
export class BenchmarkService {
  private readonly jobs = new Map<string, Job>();
  private readonly runningByLibrary = new Map<string, string>();
  private readonly stop = new AbortController();

  constructor(private readonly ctx: ServiceContext) {}

  /** Checks the request, starts the job and answers its first state (progress 0). */
  async start(library: LibraryRecord, body: BenchmarkBody): Promise<BenchmarkJobResponse> {
    const strategies = resolveStrategies(body.strategies, library.dimension);
    const queries = resolveTestQueries(body.test_queries, library.dimension);
    const running = this.runningByLibrary.get(library.libraryId);
    if (running)
      throw new ApiError(
        ApiErrorCode.BenchmarkRunning,
        `library ${library.libraryId} is already being benchmarked (job ${running})`,
        { job_id: running },
      );
    const { vectorsByPartition } = await gatherLibraryStats(this.ctx, library);
    const libraryVectors = [...vectorsByPartition.values()].reduce((a, b) => a + b, 0);
    if (libraryVectors <= K)
      throw new ApiError(
        ApiErrorCode.NotEnoughVectors,
        `library ${library.libraryId} has ${libraryVectors} vectors; a benchmark needs more than ${K}`,
        { vectors: libraryVectors },
      );
    const q = library.quantization;
    const plan: Plan = {
      library,
      strategies,
      queries,
      sampleSize: body.sample_size ?? BENCHMARK_DEFAULTS.sampleSize,
      libraryVectors,
      targetRecall:
        body.target_recall ??
        (q.strategy === "adaptive" ? q.target_accuracy : BENCHMARK_DEFAULTS.targetRecall),
      memoryBudgetBytes: q.strategy === "adaptive" ? q.max_memory_gb * 1e9 : undefined,
    };
    const jobId = `bench_${randomBytes(6).toString("hex")}`;
    const job: Job = {
      startedMs: Date.now(),
      response: {
        job_id: jobId,
        library_id: library.libraryId,
        url: benchmarkPath(library.libraryId, jobId),
        status: "running",
        progress: 0,
        eta_seconds: null,
        started_at: new Date().toISOString(),
        results: [],
        recommendation: null,
        recommended_config: null,
        reason: null,
        target_recall: plan.targetRecall,
        sample: null,
      },
    };
    this.keep(jobId, job);
    this.runningByLibrary.set(library.libraryId, jobId);
    void this.run(job, plan)
      .catch((error: unknown) => {
        job.response.status = "failed";
        job.response.error = error instanceof Error ? error.message : String(error);
        this.ctx.logger.warn({ err: error, job: jobId }, "benchmark failed");
      })
      .finally(() => {
        job.response.finished_at = new Date().toISOString();
        job.response.eta_seconds = 0;
        this.runningByLibrary.delete(library.libraryId);
      });
    return this.view(job);
  }

  /** A job of the library, as it stands. */
  get(library: LibraryRecord, jobId: string): BenchmarkJobResponse {
    const job = this.jobs.get(jobId);
    if (!job || job.response.library_id !== library.libraryId)
      throw new ApiError(
        ApiErrorCode.NotFound,
        `benchmark ${jobId} not found for library ${library.libraryId}`,
        { field: "job_id", job_id: jobId },
      );
    return this.view(job);
  }

  /** Stops the running benchmarks (their jobs fail). */
  close(): void {
    this.stop.abort();
  }

  private async run(job: Job, plan: Plan): Promise<void> {
    const { library } = plan;
    const dim = library.dimension;
    const sampled = await sampleLibraryVectors(
      this.ctx,
      library,
      Math.min(plan.sampleSize, plan.libraryVectors),
      BASE_SEED,
    );
    const n = sampled.length;
    if (n <= K)
      throw new Error(`the shards answered ${n} vectors; a benchmark needs more than ${K}`);
    const base = new Float32Array(n * dim);
    sampled.forEach((v, i) => base.set(v.vector, i * dim));
    const { queries, queryRows } = this.queriesOf(plan.queries, base, n, dim);
    const queryCount = queries.length / dim;
    this.advance(job, SAMPLING_SHARE);
    const measured = await runBenchmarkInWorker(
      {
        base,
        count: n,
        dim,
        metric: library.metric,
        indexType: library.indexType,
        hnsw: {
          m: library.hnsw.m,
          efConstruction: library.hnsw.ef_construction,
          efSearch: library.hnsw.ef_search,
        },
        queries,
        queryCount,
        queryRows,
        strategies: plan.strategies,
        k: K,
      },
      (fraction) => this.advance(job, SAMPLING_SHARE + (1 - SAMPLING_SHARE) * fraction),
      this.stop.signal,
    );
    const extrapolated = plan.libraryVectors > n;
    const scale = extrapolated ? plan.libraryVectors / n : 1;
    const results = measured.map((m) => resultRow(m, scale, extrapolated));
    const choice = recommend({
      rows: results.map((r) => ({
        strategy: r.strategy,
        memoryBytes: r.memory_bytes,
        recall: r["recall@10"],
        p95LatencyMs: r.p95_latency_ms,
      })),
      targetRecall: plan.targetRecall,
      memoryBudgetBytes: plan.memoryBudgetBytes,
    });
    Object.assign(job.response, {
      status: "completed",
      progress: 1,
      results,
      recommendation: choice.strategy,
      recommended_config: results[choice.index].quantization_config,
      reason: choice.reason,
      sample: {
        library_vectors: plan.libraryVectors,
        base_vectors: n,
        queries: queryCount,
        query_source: plan.queries.source,
        memory_estimated: extrapolated,
        note: extrapolated
          ? `memory extrapolated from a sample of ${n} of ${plan.libraryVectors} vectors; ` +
            "recall and latency measured on the sample"
          : `measured on all ${n} vectors of the library`,
      },
    } satisfies Partial<BenchmarkJobResponse>);
  }

  /** The queries: the caller's, or rows of the sample (each left out of its own answers). */
  private queriesOf(
    spec: TestQueries,
    base: Float32Array,
    n: number,
    dim: number,
  ): { queries: Float32Array; queryRows?: Int32Array } {
    if (spec.source === "request") return { queries: spec.vectors };
    const rows = sampleIndices(n, spec.count, new Rng(QUERY_SEED));
    const queries = new Float32Array(rows.length * dim);
    rows.forEach((row, i) => queries.set(base.subarray(row * dim, (row + 1) * dim), i * dim));
    return { queries, queryRows: Int32Array.from(rows) };
  }

  private advance(job: Job, progress: number): void {
    job.response.progress = Math.max(job.response.progress, Math.min(1, progress));
  }

  private view(job: Job): BenchmarkJobResponse {
    const r = job.response;
    let eta: number | null = r.eta_seconds;
    if (r.status === "running" && r.progress > SAMPLING_SHARE) {
      const elapsedS = (Date.now() - job.startedMs) / 1000;
      eta = Math.round((elapsedS * (1 - r.progress)) / r.progress);
    }
    return { ...r, eta_seconds: eta, results: [...r.results] };
  }

  private keep(jobId: string, job: Job): void {
    this.jobs.set(jobId, job);
    for (const [id, old] of this.jobs) {
      if (this.jobs.size <= KEPT_JOBS) break;
      if (old.response.status !== "running") this.jobs.delete(id);
    }
  }
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
