import {
  ApiError,
  ApiErrorCode,
  BENCHMARK_DEFAULTS,
  type BenchmarkBody,
  type BenchmarkJobResponse,
  benchmarkPath,
  type ShardBenchmarkRequest,
  type ShardClient,
} from "@quiver/api";
import { type BenchmarkJobRecord, BenchmarkJobStore, jobView, newJobRecord } from "@quiver/cluster";
import type { LibraryRecord } from "@quiver/events";
import { isLogError, LogErrorCode } from "@quiver/log";
import { randomBytes } from "node:crypto";
import type { ServiceContext } from "../context.js";
import { gatherLibraryStats } from "../statistics-service.js";
import { resolveStrategies, resolveTestQueries } from "./benchmark-request.js";

const K = 10;
/** The share of the progress before which no ETA is extrapolated (the runner's sampling). */
const SAMPLING_SHARE = 0.02;
/** How long a new job may wait for a shard node to take it over before it counts as abandoned. */
export const HANDOFF_LEASE_MS = 30_000;

/**
 * Benchmark jobs: each measures the requested strategies on a sample of a library's own vectors
 * and recommends one. The coordinator checks the request, records the job in the KV store (one
 * running per library, whichever coordinator starts it) and hands it to a shard node serving
 * some of the library's partitions, which runs it in a thread of its own and writes its progress
 * and result to the job's record. Any coordinator answers for any job from that record.
 */
export class BenchmarkService {
  private readonly store: BenchmarkJobStore;

  constructor(private readonly ctx: ServiceContext) {
    this.store = new BenchmarkJobStore(ctx.kv);
  }

  /** Checks the request, starts the job and answers its first state (progress 0). */
  async start(library: LibraryRecord, body: BenchmarkBody): Promise<BenchmarkJobResponse> {
    const strategies = resolveStrategies(body.strategies, library.dimension);
    const queries = resolveTestQueries(body.test_queries, library.dimension);
    const shards = this.runners(library);
    if (shards.length === 0)
      throw new ApiError(
        ApiErrorCode.PartitionUnavailable,
        `no shard node serves library ${library.libraryId}'s partitions now`,
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
    const targetRecall =
      body.target_recall ??
      (q.strategy === "adaptive" ? q.target_accuracy : BENCHMARK_DEFAULTS.targetRecall);
    const jobId = `bench_${randomBytes(6).toString("hex")}`;
    const request: ShardBenchmarkRequest = {
      libraryId: library.libraryId,
      jobId,
      partitions: library.partitions ?? 1,
      dimension: library.dimension,
      metric: library.metric,
      indexType: library.indexType,
      hnsw: {
        m: library.hnsw.m,
        efConstruction: library.hnsw.ef_construction,
        efSearch: library.hnsw.ef_search,
      },
      strategies,
      queries,
      sampleSize: body.sample_size ?? BENCHMARK_DEFAULTS.sampleSize,
      libraryVectors,
      targetRecall,
      ...(q.strategy === "adaptive" ? { memoryBudgetBytes: q.max_memory_gb * 1e9 } : {}),
    };
    const record = newJobRecord({
      libraryId: library.libraryId,
      jobId,
      url: benchmarkPath(library.libraryId, jobId),
      targetRecall,
      leaseMs: HANDOFF_LEASE_MS,
    });
    const created = await this.store.create(record);
    if (!created.created)
      throw new ApiError(
        ApiErrorCode.BenchmarkRunning,
        `library ${library.libraryId} is already being benchmarked (job ${created.running})`,
        { job_id: created.running },
      );
    const failure = await this.handOver(request, shards);
    if (failure === undefined) return jobView(record, Date.now());
    return this.failUntaken(library.libraryId, jobId, failure);
  }

  /** A job of the library, as its record stands (any coordinator answers it). */
  async get(library: LibraryRecord, jobId: string): Promise<BenchmarkJobResponse> {
    const found = await this.store.read(library.libraryId, jobId);
    if (!found)
      throw new ApiError(
        ApiErrorCode.NotFound,
        `benchmark ${jobId} not found for library ${library.libraryId}`,
        { field: "job_id", job_id: jobId },
      );
    return jobView(found.record, Date.now(), SAMPLING_SHARE);
  }

  /**
   * The shard nodes that may run a job of the library: those serving most of its partitions
   * first (the less of the sample comes over the network), ties in random order.
   */
  private runners(library: LibraryRecord): ShardClient[] {
    const served = new Map<string, { shard: ShardClient; partitions: number; tie: number }>();
    for (let p = 0; p < (library.partitions ?? 1); p++) {
      for (const shard of this.ctx.router.replicas(p)) {
        const known = served.get(shard.shardId);
        if (known) known.partitions++;
        else served.set(shard.shardId, { shard, partitions: 1, tie: Math.random() });
      }
    }
    return [...served.values()]
      .sort((a, b) => b.partitions - a.partitions || a.tie - b.tie)
      .map((s) => s.shard);
  }

  /** Gives the job to the first shard that takes it; answers why none did (undefined: one did). */
  private async handOver(
    request: ShardBenchmarkRequest,
    shards: ShardClient[],
  ): Promise<string | undefined> {
    const errors: string[] = [];
    for (const shard of shards) {
      try {
        await shard.benchmark(request);
        return undefined;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        errors.push(`${shard.shardId}: ${message}`);
        this.ctx.logger.warn(
          { err: error, shard: shard.shardId, job: request.jobId },
          "a shard did not take the benchmark over; trying the next",
        );
        // its answer was lost, but it took the job: it runs there
        const found = await this.store.read(request.libraryId, request.jobId);
        if (found?.record.runner || found?.record.job.status !== "running") return undefined;
      }
    }
    return `no shard node took the benchmark over (${errors.join("; ")})`;
  }

  /** Fails a job no shard took (unless one did meanwhile); answers the job as it then stands. */
  private async failUntaken(
    libraryId: string,
    jobId: string,
    error: string,
  ): Promise<BenchmarkJobResponse> {
    const found = await this.store.read(libraryId, jobId);
    if (!found) throw new Error(`benchmark ${jobId} vanished from the store`);
    let { record } = found;
    if (!record.runner && record.job.status === "running") {
      const failed: BenchmarkJobRecord = {
        ...record,
        job: {
          ...record.job,
          status: "failed",
          error,
          eta_seconds: 0,
          finished_at: new Date().toISOString(),
        },
      };
      try {
        await this.store.update(failed, found.revision);
        record = failed;
      } catch (e) {
        if (!isLogError(e, LogErrorCode.KvConflict)) throw e;
        record = (await this.store.read(libraryId, jobId))?.record ?? record;
      }
    }
    return jobView(record, Date.now(), SAMPLING_SHARE);
  }
}
