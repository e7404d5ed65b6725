import { isApiError, QuiverClient } from "@quiver/api";
import {
  BenchmarkJobStore,
  CATALOG_BUCKET,
  KvMembership,
  MembershipRouter,
  NatsShardClient,
} from "@quiver/cluster";
import { type Coordinator, startCoordinator } from "@quiver/coordinator";
import { JetStreamKv, JetStreamLog } from "@quiver/log";
import { silentLogger } from "@quiver/telemetry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestCluster, type TestCluster } from "./test-support/test-cluster.js";
import { finishedJob, loadedLibrary } from "./test-support/benchmark-jobs.js";

const PARTITIONS = 4;
const DIM = 16;
const VECTORS = 4_000;
const LEASE_MS = 3_000;

// Two coordinators (the cluster's process and one in this process) over nats-server, two shard
// processes: a benchmark job runs on a shard node, its record in the catalog's KV bucket.
describe("cluster: benchmark jobs on shard nodes, their state in the KV bucket", () => {
  let cluster: TestCluster;
  let first: QuiverClient;
  let second: QuiverClient;
  let log: JetStreamLog;
  let kv: JetStreamKv;
  let membership: KvMembership;
  let coordinator: Coordinator;
  let libraryId: string;

  beforeAll(async () => {
    cluster = await startTestCluster({
      shards: 2,
      partitions: PARTITIONS,
      replicas: 1,
      stdio: "ignore",
      shardEnv: { QUIVER_BENCHMARK_LEASE_MS: String(LEASE_MS) },
    });
    first = new QuiverClient({ url: cluster.url });
    log = await JetStreamLog.connect({ servers: cluster.nats.url });
    kv = await JetStreamKv.open(log.connection, { bucket: CATALOG_BUCKET });
    membership = await KvMembership.open(log.connection);
    coordinator = await startCoordinator({
      log,
      kv,
      router: new MembershipRouter(membership, (id) => new NatsShardClient(log.connection, id)),
      logger: silentLogger(),
      defaultPartitions: PARTITIONS,
      maxPartitions: PARTITIONS,
      probeIntervalMs: 0,
    });
    second = new QuiverClient({ url: await coordinator.listen("127.0.0.1", 0) });
    libraryId = await loadedLibrary(first, "bench", VECTORS, DIM, 3);
  });

  afterAll(async () => {
    await coordinator?.close();
    await kv?.close();
    await membership?.close();
    await log?.close();
    await cluster?.stop();
  });

  it("runs a job started through one coordinator, followed through the other", async () => {
    const started = await first.startBenchmark(libraryId, {
      strategies: ["none", "scalar"],
      test_queries: 50,
    });
    const busy = await second.startBenchmark(libraryId, { strategies: ["none"] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isApiError(busy) && busy.code).toBe("BENCHMARK_RUNNING");
    const job = await finishedJob(second, libraryId, started.job_id);
    expect(job.error).toBeUndefined();
    expect(job.status).toBe("completed");
    // the sample came from both shard nodes' partitions
    expect(job.sample).toMatchObject({ library_vectors: VECTORS, base_vectors: VECTORS });
    expect(await first.benchmark(libraryId, started.job_id)).toEqual(job);
  });

  it("fails the job of a shard node killed while it ran, once its lease passed", async () => {
    const started = await second.startBenchmark(libraryId, { test_queries: 200 });
    const store = new BenchmarkJobStore(kv);
    const runner = (await store.read(libraryId, started.job_id))?.record.runner;
    expect(runner).toMatch(/^shard-[12]$/);
    cluster.shardProcesses[Number(runner!.slice(6)) - 1].kill("SIGKILL");
    const job = await finishedJob(first, libraryId, started.job_id);
    expect(job.status).toBe("failed");
    expect(job.error).toContain(`abandoned: shard ${runner}, which ran it, has not reported`);
  });
});
