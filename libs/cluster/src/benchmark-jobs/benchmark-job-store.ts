import { isLogError, type KvStore, LogErrorCode } from "@quiver/log";
import {
  abandoned,
  benchmarkJobKey,
  benchmarkJobsPrefix,
  benchmarkRunningKey,
  type BenchmarkJobRecord,
  decodeJobRecord,
  decodeRunningMark,
  encodeJobRecord,
  encodeRunningMark,
  isAbandoned,
} from "./benchmark-job.js";

/** Finished jobs kept per library (the oldest go when a new one starts). */
export const KEPT_FINISHED_JOBS = 10;
/** Writes raced by another writer before giving up. */
const ATTEMPTS = 5;

export interface BenchmarkJobStoreOptions {
  keepFinished?: number;
  now?: () => number;
}

export type CreateResult =
  | { created: true; revision: number }
  /** Another job of the library runs. */
  | { created: false; running: string };

/**
 * Benchmark jobs in the KV store, for any coordinator: one record per job, and per library the
 * mark of its latest job, taken with a revision check, so that of two coordinators starting a
 * job of one library at once one wins, the other answers that it runs. A running job whose
 * holder stopped reporting (its lease passed) is failed by the first reader: the write is on the
 * revision read, so it cannot overwrite a heartbeat that came meanwhile, and the runner, whose
 * next write then fails, gives the job up.
 */
export class BenchmarkJobStore {
  private readonly keep: number;
  private readonly now: () => number;

  constructor(
    private readonly kv: KvStore,
    options: BenchmarkJobStoreOptions = {},
  ) {
    this.keep = options.keepFinished ?? KEPT_FINISHED_JOBS;
    this.now = options.now ?? Date.now;
  }

  /**
   * Records a new job unless another job of its library runs; then removes the library's oldest
   * finished jobs beyond those kept.
   */
  async create(record: BenchmarkJobRecord): Promise<CreateResult> {
    const { library_id: libraryId, job_id: jobId } = record.job;
    const markKey = benchmarkRunningKey(libraryId);
    for (let attempt = 1; ; attempt++) {
      const entry = await this.kv.get(markKey);
      const mark = entry && decodeRunningMark(entry.value);
      if (mark) {
        const latest = await this.read(libraryId, mark.jobId);
        const starting = !latest && this.now() < mark.atMs + record.leaseMs;
        if (starting || latest?.record.job.status === "running")
          return { created: false, running: mark.jobId };
      }
      try {
        await this.kv.put(markKey, encodeRunningMark({ jobId, atMs: this.now() }), {
          previousRevision: entry?.revision ?? 0,
        });
      } catch (error) {
        if (!isLogError(error, LogErrorCode.KvConflict)) throw error;
        if (attempt < ATTEMPTS) continue;
        const winner = decodeRunningMark((await this.kv.get(markKey))?.value ?? new Uint8Array());
        return { created: false, running: winner?.jobId ?? "unknown" };
      }
      const revision = await this.kv.put(
        benchmarkJobKey(libraryId, jobId),
        encodeJobRecord(record),
        { previousRevision: 0 },
      );
      await this.prune(libraryId, jobId);
      return { created: true, revision };
    }
  }

  /**
   * A job's record and revision, undefined when the library has no such job. A running job whose
   * lease passed is failed (in the store too).
   */
  async read(
    libraryId: string,
    jobId: string,
  ): Promise<{ record: BenchmarkJobRecord; revision: number } | undefined> {
    const key = benchmarkJobKey(libraryId, jobId);
    for (let attempt = 1; ; attempt++) {
      const entry = await this.kv.get(key);
      if (!entry) return undefined;
      const record = decodeJobRecord(entry.value);
      const now = this.now();
      if (!isAbandoned(record, now)) return { record, revision: entry.revision };
      const failed = abandoned(record, now);
      try {
        const revision = await this.kv.put(key, encodeJobRecord(failed), {
          previousRevision: entry.revision,
        });
        return { record: failed, revision };
      } catch (error) {
        // its runner reported meanwhile, or another reader failed it first: read it again
        if (!isLogError(error, LogErrorCode.KvConflict) || attempt >= ATTEMPTS) throw error;
      }
    }
  }

  /**
   * Writes `record` on `revision` (a KV_CONFLICT when the job's record changed meanwhile);
   * answers the new revision.
   */
  update(record: BenchmarkJobRecord, revision: number): Promise<number> {
    const key = benchmarkJobKey(record.job.library_id, record.job.job_id);
    return this.kv.put(key, encodeJobRecord(record), { previousRevision: revision });
  }

  /** Removes the library's finished jobs beyond the newest `keep` (never `current`). */
  private async prune(libraryId: string, current: string): Promise<void> {
    const now = this.now();
    const finished: { key: string; startedMs: number }[] = [];
    for (const entry of await this.kv.list(benchmarkJobsPrefix(libraryId))) {
      let record: BenchmarkJobRecord;
      try {
        record = decodeJobRecord(entry.value);
      } catch {
        continue; // a later version's record: its writer prunes it
      }
      if (record.job.job_id === current) continue;
      if (record.job.status !== "running" || isAbandoned(record, now))
        finished.push({ key: entry.key, startedMs: record.startedMs });
    }
    finished.sort((a, b) => b.startedMs - a.startedMs);
    for (const { key } of finished.slice(this.keep)) await this.kv.delete(key);
  }
}
