import { decode, encode } from "@msgpack/msgpack";
import type { BenchmarkJobResponse } from "@quiver/api";

/**
 * The KV bucket of the catalog's snapshot, the library facts and the benchmark jobs, in a cluster
 * (coordinators and shard nodes open it on their NATS connection).
 */
export const CATALOG_BUCKET = "quiver_catalog";

/** Kinds of a library's keys (`lib.<id>.<kind>...`) that hold benchmark jobs, not facts. */
export const BENCHMARK_KINDS: ReadonlySet<string> = new Set(["benchmark", "benchmark-running"]);

/** A benchmark job's record: `lib.<id>.benchmark.<job>` (under the library, so it goes with it). */
export const benchmarkJobKey = (libraryId: string, jobId: string) =>
  `lib.${libraryId}.benchmark.${jobId}`;
/** The prefix of a library's benchmark jobs. */
export const benchmarkJobsPrefix = (libraryId: string) => `lib.${libraryId}.benchmark.`;
/** The library's latest job, whose record says whether it still runs (one per library). */
export const benchmarkRunningKey = (libraryId: string) => `lib.${libraryId}.benchmark-running`;

const FORMAT = 1;

/** A benchmark job as the KV store keeps it. */
export interface BenchmarkJobRecord {
  /** As the API shows it; `eta_seconds` is worked out when it is read. */
  job: BenchmarkJobResponse;
  startedMs: number;
  /** When whoever holds the job (its runner, or the coordinator handing it over) last said so. */
  heartbeatMs: number;
  /** How long after `heartbeatMs` without another the job counts as abandoned. */
  leaseMs: number;
  /** The shard node running it; absent until one has taken it over. */
  runner?: string;
}

/** A new job's record: running, progress 0, held by its creator for `leaseMs`. */
export function newJobRecord(fields: {
  libraryId: string;
  jobId: string;
  url: string;
  targetRecall: number;
  leaseMs: number;
  nowMs?: number;
}): BenchmarkJobRecord {
  const now = fields.nowMs ?? Date.now();
  return {
    startedMs: now,
    heartbeatMs: now,
    leaseMs: fields.leaseMs,
    job: {
      job_id: fields.jobId,
      library_id: fields.libraryId,
      url: fields.url,
      status: "running",
      progress: 0,
      eta_seconds: null,
      started_at: new Date(now).toISOString(),
      results: [],
      recommendation: null,
      recommended_config: null,
      reason: null,
      target_recall: fields.targetRecall,
      sample: null,
    },
  };
}

/** The library's latest job (benchmarkRunningKey). */
export interface RunningMark {
  jobId: string;
  atMs: number;
}

export function encodeJobRecord(record: BenchmarkJobRecord): Uint8Array {
  return encode({ v: FORMAT, ...record }, { ignoreUndefined: true });
}

export function decodeJobRecord(bytes: Uint8Array): BenchmarkJobRecord {
  const { v, ...record } = decode(bytes) as BenchmarkJobRecord & { v: number };
  if (v !== FORMAT || typeof record.job?.job_id !== "string")
    throw new Error(`benchmark job format ${String(v)} is not ${FORMAT}`);
  return record;
}

export function encodeRunningMark(mark: RunningMark): Uint8Array {
  return encode({ v: FORMAT, ...mark });
}

export function decodeRunningMark(bytes: Uint8Array): RunningMark | undefined {
  try {
    const { v, ...mark } = decode(bytes) as RunningMark & { v: number };
    return v === FORMAT && typeof mark.jobId === "string" ? mark : undefined;
  } catch {
    return undefined;
  }
}

/** A running job whose holder has not said it runs within its lease: it is not running. */
export function isAbandoned(record: BenchmarkJobRecord, nowMs: number): boolean {
  return record.job.status === "running" && nowMs > record.heartbeatMs + record.leaseMs;
}

/** The record of an abandoned job, failed. */
export function abandoned(record: BenchmarkJobRecord, nowMs: number): BenchmarkJobRecord {
  const silentS = Math.round((nowMs - record.heartbeatMs) / 1000);
  const holder = record.runner
    ? `shard ${record.runner}, which ran it,`
    : "no shard took it and it";
  return {
    ...record,
    job: {
      ...record.job,
      status: "failed",
      eta_seconds: 0,
      finished_at: new Date(nowMs).toISOString(),
      error:
        `the benchmark was abandoned: ${holder} has not reported for ${silentS} s ` +
        `(lease ${Math.round(record.leaseMs / 1000)} s); start it again`,
    },
  };
}

/** The job as GET answers it: the ETA extrapolated from the elapsed time and the progress. */
export function jobView(
  record: BenchmarkJobRecord,
  nowMs: number,
  minProgress = 0,
): BenchmarkJobResponse {
  const job = record.job;
  let eta = job.eta_seconds;
  if (job.status === "running" && job.progress > minProgress) {
    const elapsedS = (nowMs - record.startedMs) / 1000;
    eta = Math.max(0, Math.round((elapsedS * (1 - job.progress)) / job.progress));
  }
  return { ...job, eta_seconds: eta, results: [...job.results] };
}
