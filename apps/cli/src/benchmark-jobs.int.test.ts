import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type BenchmarkJobResponse,
  QuiverClient,
  type ShardBenchmarkRequest,
  type ShardClient,
} from "@quiver/api";
import {
  BenchmarkJobStore,
  InProcessMembership,
  JobLease,
  MembershipRouter,
} from "@quiver/cluster";
import { type Coordinator, startCoordinator } from "@quiver/coordinator";
import { LmdbKv, LmdbLog } from "@quiver/log";
import { MembershipAgent, ShardNode } from "@quiver/shard";
import { silentLogger } from "@quiver/telemetry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { finishedJob, loadedLibrary, rejection } from "./test-support/benchmark-jobs.js";

const PARTITIONS = 2;
const DIM = 16;
const VECTORS = 3_000;

/** The node, except that a benchmark is taken over by a runner that dies at once. */
function dyingRunner(node: ShardNode, kv: LmdbKv): ShardClient {
  const store = new BenchmarkJobStore(kv);
  return new Proxy(node, {
    get(target, prop, receiver) {
      if (prop === "benchmark")
        return async (request: ShardBenchmarkRequest) => {
          const lease = await JobLease.take(store, request.libraryId, request.jobId, {
            runner: "doomed",
            leaseMs: 300,
          });
          lease.stopBeating(); // SIGKILL: no heartbeat, no last write
          return { jobId: request.jobId, runner: "doomed" };
        };
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

// Benchmark jobs live in the KV store and run on a shard node, so any coordinator answers for
// any job: several coordinators in this process over one LMDB log and KV store, one shard node.
describe("benchmark jobs in KV, run by a shard node, seen by every coordinator", () => {
  const dir = mkdtempSync(join(tmpdir(), "quiver-bench-jobs-"));
  const logPath = join(dir, "log");
  const log = LmdbLog.open({ path: logPath });
  const kv = LmdbKv.open({ path: join(dir, "kv") });
  const membership = new InProcessMembership();
  const coordinators: Coordinator[] = [];
  let node: ShardNode;
  let agent: MembershipAgent;
  let libraryId: string;

  /** A coordinator over the shared log and KV store (its router's client for the node: `client`). */
  async function coordinator(client?: ShardClient): Promise<QuiverClient & { url: string }> {
    const c = await startCoordinator({
      log,
      kv,
      router: new MembershipRouter(membership, () => client ?? node),
      logger: silentLogger(),
      defaultPartitions: PARTITIONS,
      maxPartitions: PARTITIONS,
      probeIntervalMs: 0,
    });
    coordinators.push(c);
    const url = await c.listen("127.0.0.1", 0);
    return Object.assign(new QuiverClient({ url }), { url });
  }

  beforeAll(async () => {
    node = await ShardNode.start({
      shardId: "s1",
      storePath: join(dir, "s1"),
      log: { kind: "lmdb", path: logPath },
      workers: 1,
      training: { log },
      benchmarks: { kv },
    });
    agent = new MembershipAgent(node, membership, { partitions: PARTITIONS, replicas: 1 });
    await agent.start();
    await agent.settled();
  });

  afterAll(async () => {
    for (const c of coordinators.splice(0)) await c.close();
    await agent?.stop();
    await node?.close();
    await membership.close();
    await kv.close();
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("starts a job through one coordinator, follows it through another and after a restart", async () => {
    const a = await coordinator();
    const b = await coordinator();
    libraryId = await loadedLibrary(a, "jobs", VECTORS, DIM, 7);

    const posted = await fetch(`${a.url}/v1/libraries/${libraryId}/quantization/benchmark`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ test_queries: 50 }),
    });
    expect(posted.status).toBe(202);
    const started = (await posted.json()) as BenchmarkJobResponse;
    expect(posted.headers.get("location")).toBe(started.url);
    expect(started).toMatchObject({ status: "running", progress: 0, library_id: libraryId });

    // the other coordinator answers for it, and refuses a second job of the library
    const seen = await b.benchmark(libraryId, started.job_id);
    expect(seen).toMatchObject({ job_id: started.job_id, status: "running" });
    const busy = await rejection(b.startBenchmark(libraryId, { strategies: ["none"] }));
    expect(busy).toMatchObject({ status: 409, code: "BENCHMARK_RUNNING" });
    expect(busy.details.job_id).toBe(started.job_id);

    // the coordinator that started it stops; one started afterwards follows the job to its end
    await coordinators.shift()!.close();
    const c = await coordinator();
    const job = await finishedJob(c, libraryId, started.job_id);
    expect(job.error).toBeUndefined();
    expect(job).toMatchObject({ status: "completed", progress: 1, eta_seconds: 0 });
    expect(job.results.map((r) => r.strategy)).toEqual(["none", "scalar", "product", "hybrid"]);
    expect(job.sample).toMatchObject({ library_vectors: VECTORS, base_vectors: VECTORS });
    expect(await b.benchmark(libraryId, started.job_id)).toEqual(job);
  });

  it("lets one of two coordinators start a library's job at the same moment", async () => {
    const [b, c] = [await coordinator(), await coordinator()];
    const body = { strategies: ["none", "scalar"], test_queries: 20, sample_size: 1_000 };
    const answers = await Promise.allSettled([
      b.startBenchmark(libraryId, body),
      c.startBenchmark(libraryId, body),
    ]);
    const started = answers.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    const refused = answers.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
    expect(started).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ status: 409, code: "BENCHMARK_RUNNING" });
    expect((await finishedJob(b, libraryId, started[0].job_id)).status).toBe("completed");
  });

  it("fails a job whose runner died once its lease passed, and frees the library", async () => {
    const doomed = await coordinator(dyingRunner(node, kv));
    const other = await coordinator();
    const started = await doomed.startBenchmark(libraryId, { strategies: ["none"] });
    expect(started.status).toBe("running");
    const job = await finishedJob(other, libraryId, started.job_id);
    expect(job.status).toBe("failed");
    expect(job.error).toMatch(/abandoned: shard doomed, which ran it, has not reported/);
    const next = await other.startBenchmark(libraryId, {
      strategies: ["none"],
      test_queries: 10,
      sample_size: 500,
    });
    expect((await finishedJob(other, libraryId, next.job_id)).status).toBe("completed");
  });

  it("answers 404 for an unknown job and removes a deleted library's jobs from KV", async () => {
    const a = await coordinator();
    const missing = await rejection(a.benchmark(libraryId, "bench_nope"));
    expect(missing.status).toBe(404);
    expect((await kv.list(`lib.${libraryId}.benchmark.`)).length).toBeGreaterThanOrEqual(3);
    await a.deleteLibrary(libraryId);
    expect(await kv.list(`lib.${libraryId}.`)).toEqual([]);
  });
});
