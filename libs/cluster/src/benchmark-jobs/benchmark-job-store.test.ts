import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LmdbKv } from "@quiver/log";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  benchmarkJobKey,
  benchmarkJobsPrefix,
  type BenchmarkJobRecord,
  decodeJobRecord,
  newJobRecord,
} from "./benchmark-job.js";
import { JobLease, JobLostError } from "./benchmark-job-lease.js";
import { BenchmarkJobStore } from "./benchmark-job-store.js";

const LIBRARY = "lib_1";

function newJob(jobId: string, nowMs: number, leaseMs = 30_000): BenchmarkJobRecord {
  const url = `/v1/libraries/${LIBRARY}/quantization/benchmarks/${jobId}`;
  return newJobRecord({ libraryId: LIBRARY, jobId, url, targetRecall: 0.95, leaseMs, nowMs });
}

describe("BenchmarkJobStore and JobLease", () => {
  let dir: string;
  let kv: LmdbKv;
  let clock: number;
  const now = () => clock;
  let store: BenchmarkJobStore;
  const leases: JobLease[] = [];
  const take = async (jobId: string, runner = "shard-1", leaseMs = 10_000) => {
    const lease = await JobLease.take(store, LIBRARY, jobId, { runner, leaseMs, now });
    leases.push(lease);
    return lease;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "quiver-bench-jobs-"));
    kv = LmdbKv.open({ path: dir });
    clock = 1_000_000;
    store = new BenchmarkJobStore(kv, { now, keepFinished: 2 });
  });
  afterEach(async () => {
    for (const lease of leases.splice(0)) lease.stopBeating();
    await kv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs one job per library: a second waits until the first has finished", async () => {
    expect(await store.create(newJob("bench_a", clock))).toMatchObject({ created: true });
    expect(await store.create(newJob("bench_b", clock))).toEqual({
      created: false,
      running: "bench_a",
    });
    const lease = await take("bench_a");
    lease.advance(0.5);
    await lease.finish({ status: "completed", progress: 1, recommendation: "none" });
    const { record } = (await store.read(LIBRARY, "bench_a"))!;
    expect(record).toMatchObject({ runner: "shard-1", leaseMs: 10_000 });
    expect(record.job).toMatchObject({ status: "completed", progress: 1, eta_seconds: 0 });
    expect(await store.create(newJob("bench_b", clock))).toMatchObject({ created: true });
  });

  it("fails a job whose runner stopped reporting, and the runner that comes back loses it", async () => {
    await store.create(newJob("bench_a", clock));
    const lease = await take("bench_a", "shard-1", 10_000);
    lease.stopBeating(); // the node died
    clock += 9_000;
    expect((await store.read(LIBRARY, "bench_a"))!.record.job.status).toBe("running");
    expect(await store.create(newJob("bench_b", clock))).toMatchObject({ running: "bench_a" });
    clock += 2_000;
    const { record } = (await store.read(LIBRARY, "bench_a"))!;
    expect(record.job.status).toBe("failed");
    expect(record.job.error).toMatch(/abandoned: shard shard-1, which ran it, has not reported/);
    // failed in the store too, and the library is free
    const stored = decodeJobRecord((await kv.get(benchmarkJobKey(LIBRARY, "bench_a")))!.value);
    expect(stored.job.status).toBe("failed");
    expect(await store.create(newJob("bench_b", clock))).toMatchObject({ created: true });
    // the runner was only slow: its next write finds the job failed, and it gives it up
    await expect(lease.finish({ status: "completed" })).rejects.toBeInstanceOf(JobLostError);
    expect(lease.lost).toBe(true);
    expect((await store.read(LIBRARY, "bench_a"))!.record.job.status).toBe("failed");
  });

  it("fails a job that no shard took over once the hand-over's lease passed", async () => {
    await store.create(newJob("bench_a", clock, 5_000));
    clock += 6_000;
    const { record } = (await store.read(LIBRARY, "bench_a"))!;
    expect(record.job.error).toMatch(/no shard took it/);
    await expect(take("bench_a")).rejects.toBeInstanceOf(JobLostError);
  });

  it("lets one runner take a job over, not two", async () => {
    await store.create(newJob("bench_a", clock));
    await take("bench_a", "shard-1");
    await expect(take("bench_a", "shard-2")).rejects.toThrow(/runs on shard shard-1/);
  });

  it("keeps the newest finished jobs of a library and removes the older ones", async () => {
    for (const id of ["bench_1", "bench_2", "bench_3", "bench_4"]) {
      clock += 1_000;
      await store.create(newJob(id, clock));
      await (await take(id)).finish({ status: "completed", progress: 1 });
    }
    const keys = (await kv.list(benchmarkJobsPrefix(LIBRARY))).map((e) => e.key);
    // two finished kept beside the newest (itself finished after the pruning at its start)
    expect(keys).toEqual(
      ["bench_2", "bench_3", "bench_4"].map((id) => benchmarkJobKey(LIBRARY, id)),
    );
    expect(await store.read(LIBRARY, "bench_1")).toBeUndefined();
  });

  it("writes progress and heartbeats every beat, progress never decreasing", async () => {
    await store.create(newJob("bench_a", clock));
    const lease = await JobLease.take(store, LIBRARY, "bench_a", {
      runner: "shard-1",
      beatMs: 20,
      now,
    });
    leases.push(lease);
    lease.advance(0.4);
    lease.advance(0.3);
    clock += 500;
    await expect
      .poll(async () => (await store.read(LIBRARY, "bench_a"))!.record.job.progress)
      .toBe(0.4);
    expect((await store.read(LIBRARY, "bench_a"))!.record.heartbeatMs).toBe(clock);
  });
});
