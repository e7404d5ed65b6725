import type { BenchmarkJobResponse } from "@quiver/api";
import { isLogError, LogErrorCode } from "@quiver/log";
import type { BenchmarkJobRecord } from "./benchmark-job.js";
import type { BenchmarkJobStore } from "./benchmark-job-store.js";

/** How long a runner holds a job without reporting, unless told. */
export const DEFAULT_JOB_LEASE_MS = 15_000;

/** The job was failed or taken by someone else: its runner must give it up. */
export class JobLostError extends Error {
  override readonly name = "JobLostError";
}

export interface JobLeaseOptions {
  /** The runner's id (a shard node's). */
  runner: string;
  leaseMs?: number;
  /** How often progress and heartbeats are written (default a fifteenth of the lease, at most 1 s). */
  beatMs?: number;
  /** Called once when the job is lost (its record was changed by another writer). */
  onLost?: (error: Error) => void;
  now?: () => number;
}

/**
 * A runner's hold on a benchmark job: it takes the job over (the record names the runner, on
 * the revision the coordinator wrote), then writes its progress and a heartbeat every beat and
 * its result at the end, each on the revision it wrote before. A write that finds another
 * revision means the job was failed meanwhile (its lease passed: a reader failed it): the hold
 * is lost and the runner stops.
 */
export class JobLease {
  private revision: number;
  private record: BenchmarkJobRecord;
  private timer: NodeJS.Timeout | undefined;
  /** Writes, one after another. */
  private writing: Promise<void> = Promise.resolve();
  private progress = 0;
  private lostBecause: Error | undefined;
  private ended = false;
  private readonly now: () => number;

  private constructor(
    private readonly store: BenchmarkJobStore,
    record: BenchmarkJobRecord,
    revision: number,
    private readonly options: JobLeaseOptions,
  ) {
    this.record = record;
    this.revision = revision;
    this.now = options.now ?? Date.now;
    this.progress = record.job.progress;
  }

  /** Takes the job over; a JobLostError when it is unknown, finished, or held by another runner. */
  static async take(
    store: BenchmarkJobStore,
    libraryId: string,
    jobId: string,
    options: JobLeaseOptions,
  ): Promise<JobLease> {
    const found = await store.read(libraryId, jobId);
    if (!found) throw new JobLostError(`benchmark ${jobId} of library ${libraryId} is unknown`);
    const { record, revision } = found;
    if (record.job.status !== "running")
      throw new JobLostError(`benchmark ${jobId} is ${record.job.status}`);
    if (record.runner && record.runner !== options.runner)
      throw new JobLostError(`benchmark ${jobId} runs on shard ${record.runner}`);
    const leaseMs = options.leaseMs ?? DEFAULT_JOB_LEASE_MS;
    const taken: BenchmarkJobRecord = {
      ...record,
      runner: options.runner,
      leaseMs,
      heartbeatMs: (options.now ?? Date.now)(),
    };
    let next: number;
    try {
      next = await store.update(taken, revision);
    } catch (error) {
      if (isLogError(error, LogErrorCode.KvConflict))
        throw new JobLostError(`benchmark ${jobId} was changed while it was taken over`);
      throw error;
    }
    const lease = new JobLease(store, taken, next, options);
    const beatMs = options.beatMs ?? Math.min(1_000, Math.floor(leaseMs / 15));
    lease.timer = setInterval(() => void lease.write({}).catch(() => undefined), beatMs);
    lease.timer.unref();
    return lease;
  }

  get jobId(): string {
    return this.record.job.job_id;
  }

  /** Whether another writer changed the job (the runner must stop). */
  get lost(): boolean {
    return this.lostBecause !== undefined;
  }

  /** Records progress in [0, 1] (written with the next beat; it never decreases). */
  advance(progress: number): void {
    this.progress = Math.max(this.progress, Math.min(1, progress));
  }

  /** Writes the job's end (completed with its results, or failed) and stops beating. */
  async finish(end: Partial<BenchmarkJobResponse>): Promise<void> {
    this.stopBeating();
    await this.write({
      eta_seconds: 0,
      finished_at: new Date(this.now()).toISOString(),
      ...end,
    });
    this.ended = true;
  }

  /** Stops beating without a last write (the job's lease then runs out). */
  stopBeating(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Writes the progress, a heartbeat and `change`, after the writes before it. */
  private write(change: Partial<BenchmarkJobResponse>): Promise<void> {
    const next = this.writing.then(async () => {
      if (this.lostBecause) throw this.lostBecause;
      if (this.ended) return;
      const record: BenchmarkJobRecord = {
        ...this.record,
        heartbeatMs: this.now(),
        job: { ...this.record.job, progress: this.progress, ...change },
      };
      try {
        this.revision = await this.store.update(record, this.revision);
        this.record = record;
      } catch (error) {
        if (!isLogError(error, LogErrorCode.KvConflict)) throw error;
        this.lostBecause = new JobLostError(
          `benchmark ${this.jobId} was changed by another writer (failed when its lease passed?)`,
        );
        this.stopBeating();
        this.options.onLost?.(this.lostBecause);
        throw this.lostBecause;
      }
    });
    this.writing = next.catch(() => undefined);
    return next;
  }
}
