import type { ShardBenchmarkRequest, ShardBenchmarkResponse } from "@quiver/api";
import { BenchmarkJobStore, JobLease, JobLostError } from "@quiver/cluster";
import type { BenchmarkInput, StrategyMeasurement } from "@quiver/engine";
import type { KvStore } from "@quiver/log";
import type { Logger } from "@quiver/telemetry";
import { JobThread, workerEntry } from "@quiver/threads";
import type { LibrarySampler } from "../training/library-trainings.js";
import { benchmarkInput, completedJob, transferOf } from "./benchmark-measurement.js";

/** Share of the progress that drawing the sample from the partitions stands for. */
const SAMPLING_SHARE = 0.02;
const BASE_SEED = 1;
/** Attempts at writing a job's end when the store does not answer. */
const FINISH_ATTEMPTS = 3;

export interface BenchmarkRunnerOptions {
  shardId: string;
  /** Where the jobs' records are (the catalog's KV store). */
  kv: KvStore;
  sampler: LibrarySampler;
  logger: Logger;
  /** How long the node holds a job without reporting (default DEFAULT_JOB_LEASE_MS). */
  leaseMs?: number;
}

/**
 * The benchmark jobs a shard node runs for the coordinators: a job is taken over in its KV
 * record (which then names this node and carries its heartbeats), its sample drawn across the
 * library's partitions, and its strategies measured in the node's benchmark thread, one job at a
 * time (the next ones wait, beating, in its queue); progress and the result go to the record.
 */
export class BenchmarkRunner {
  private readonly store: BenchmarkJobStore;
  private readonly thread = new JobThread<BenchmarkInput, StrategyMeasurement[]>(
    workerEntry("./benchmark-thread.ts", import.meta.url),
  );
  private readonly running = new Map<string, JobLease>();
  private closed = false;

  constructor(private readonly options: BenchmarkRunnerOptions) {
    this.store = new BenchmarkJobStore(options.kv);
  }

  /** Takes the job over and starts it; answers once its record names this node. */
  async start(request: ShardBenchmarkRequest): Promise<ShardBenchmarkResponse> {
    if (this.closed) throw new Error(`shard ${this.options.shardId} is stopping`);
    const { shardId } = this.options;
    const lease = await JobLease.take(this.store, request.libraryId, request.jobId, {
      runner: shardId,
      leaseMs: this.options.leaseMs,
    });
    this.running.set(request.jobId, lease);
    void this.run(request, lease).finally(() => this.running.delete(request.jobId));
    return { jobId: request.jobId, runner: shardId };
  }

  /** Jobs held now (queued or measuring). */
  get jobs(): number {
    return this.running.size;
  }

  /** Fails the jobs held (the node stops) and ends the thread. */
  async close(): Promise<void> {
    this.closed = true;
    const held = [...this.running.values()];
    this.thread.close();
    await Promise.all(
      held.map((lease) =>
        lease
          .finish({ status: "failed", error: `shard ${this.options.shardId} stopped` })
          .catch(() => lease.stopBeating()),
      ),
    );
  }

  private async run(request: ShardBenchmarkRequest, lease: JobLease): Promise<void> {
    const { logger } = this.options;
    const log = { job: request.jobId, library: request.libraryId };
    try {
      const sampled = await this.options.sampler(
        { libraryId: request.libraryId, partitions: request.partitions },
        Math.min(request.sampleSize, request.libraryVectors),
        BASE_SEED,
      );
      const input = benchmarkInput(request, sampled);
      const { count, queryCount } = input;
      lease.advance(SAMPLING_SHARE);
      if (lease.lost || this.closed) return;
      const measured = await this.thread.run(input, transferOf(input), (fraction) =>
        lease.advance(SAMPLING_SHARE + (1 - SAMPLING_SHARE) * (fraction as number)),
      );
      await this.finish(lease, completedJob(request, measured, count, queryCount));
      logger.info({ ...log, base: count, queries: queryCount }, "benchmark completed");
    } catch (error) {
      if (lease.lost || this.closed) return;
      const message = error instanceof Error ? error.message : String(error);
      logger.warn({ ...log, err: error }, "benchmark failed");
      await this.finish(lease, { status: "failed", error: message }).catch(() => undefined);
    }
  }

  /** Writes the job's end, again when the store does not answer (not when the job was lost). */
  private async finish(lease: JobLease, end: Parameters<JobLease["finish"]>[0]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await lease.finish(end);
      } catch (error) {
        if (error instanceof JobLostError || attempt >= FINISH_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
      }
    }
  }
}
