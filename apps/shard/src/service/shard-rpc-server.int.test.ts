import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { encodeShardRpc, type ShardBenchmarkRequest, type ShardSearchRequest } from "@quiver/api";
import { BenchmarkJobStore, NatsShardClient, newJobRecord } from "@quiver/cluster";
import { Rng } from "@quiver/engine";
import { encodeEvent, type QuiverEvent } from "@quiver/events";
import { LmdbKv, LmdbLog } from "@quiver/log";
import { type NatsServer, startNatsServer } from "@quiver/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ShardNode } from "../node/shard-node.js";
import { ShardRpcServer } from "./shard-rpc-server.js";

const PARTITIONS = 4;
const NARROW = 8;
const WIDE = 3072;
/** Small libraries besides: more statistics rows than one page holds (2,000). */
const SMALL = 600;
const MB = 1024 * 1024;

const rng = new Rng(21);
const randoms = (n: number) => Float32Array.from({ length: n }, () => rng.next() * 2 - 1);

function created(libraryId: string, dimension: number): QuiverEvent {
  return {
    type: "library.created",
    libraryId,
    tenantId: "t",
    name: libraryId,
    dimension,
    metric: "l2",
    indexType: "flat",
    hnsw: { m: 8, ef_construction: 32, ef_search: 32 },
    quantization: { strategy: "none" },
    partitions: PARTITIONS,
    createdAtMs: 1,
  };
}

function upserted(libraryId: string, dimension: number, n: number, p: number): QuiverEvent {
  const ids = Array.from({ length: n }, (_, i) => `p${p}-v${i}`);
  return {
    type: "vectors.upserted",
    libraryId,
    ids,
    dimension,
    vectors: randoms(n * dimension),
    metadata: ids.map(() => null),
  };
}

// A shard node answering over a real nats-server (max_payload 1 MB), as in a cluster: replies and
// requests larger than one message travel in several, and every answer is the node's own.
describe("shard RPC over NATS: messages of at most max_payload", () => {
  let dir: string;
  let log: LmdbLog;
  let kv: LmdbKv;
  let node: ShardNode;
  let nats: NatsServer;
  let serverConnection: NatsConnection;
  let clientConnection: NatsConnection;
  let rpc: ShardRpcServer;
  let client: NatsShardClient;
  const request = (extra: Partial<ShardSearchRequest>): ShardSearchRequest => ({
    libraryId: "narrow",
    partitions: [0, 1, 2, 3],
    queries: randoms(100 * NARROW),
    dimension: NARROW,
    k: 101,
    exact: true,
    includeMetadata: false,
    includeVectors: false,
    timeoutMs: 30_000,
    ...extra,
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "quiver-rpc-"));
    log = LmdbLog.open({ path: join(dir, "log") });
    let n = 0;
    const append = (p: number, e: QuiverEvent) => log.append(p, encodeEvent(e), `m${n++}`);
    for (let p = 0; p < PARTITIONS; p++) {
      await append(p, created("narrow", NARROW));
      await append(p, upserted("narrow", NARROW, 500, p));
      await append(p, created("wide", WIDE));
      await append(p, upserted("wide", WIDE, 50, p));
      for (let i = 0; i < SMALL; i++) await append(p, created(`small-${i}`, NARROW));
    }
    kv = LmdbKv.open({ path: join(dir, "kv") });
    node = await ShardNode.start({
      shardId: "s1",
      storePath: join(dir, "store"),
      log: { kind: "lmdb", path: join(dir, "log") },
      workers: 2,
      benchmarks: { kv },
    });
    await node.assign([0, 1, 2, 3]);
    nats = await startNatsServer();
    serverConnection = await connect({ servers: nats.url });
    clientConnection = await connect({ servers: nats.url });
    expect(clientConnection.info?.max_payload).toBe(MB);
    rpc = new ShardRpcServer(serverConnection, node);
    rpc.start();
    client = new NatsShardClient(clientConnection, "s1");
  }, 120_000);

  afterAll(async () => {
    await rpc?.stop();
    await clientConnection?.close();
    await serverConnection?.close();
    await nats?.stop();
    await node?.close();
    await kv?.close();
    await log?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers the recall probe's batch (100 queries, k 101, 4 partitions: over 1 MB)", async () => {
    const probe = request({});
    const direct = await node.search(probe);
    expect(encodeShardRpc({ ok: true, search: direct }).byteLength).toBeGreaterThan(MB);
    const answered = await client.search(probe);
    expect(answered.results.map((r) => r.hits?.length)).toEqual([100, 100, 100, 100]);
    expect(answered).toEqual(direct);
  });

  it("sends a search whose queries are larger than one message in parts", async () => {
    const wide = request({ libraryId: "wide", dimension: WIDE, queries: randoms(100 * WIDE) });
    expect(encodeShardRpc({ op: "search", request: wide }).byteLength).toBeGreaterThan(MB);
    const direct = await node.search(wide);
    const answered = await client.search(wide);
    expect(answered.results.every((r) => r.hits?.length === 100)).toBe(true);
    expect(answered).toEqual(direct);
  });

  it("takes a benchmark whose queries are larger than one message over, and runs it", async () => {
    const store = new BenchmarkJobStore(kv);
    const jobId = "bench_wide";
    const url = "/v1/libraries/wide/quantization/benchmarks/bench_wide";
    await store.create(
      newJobRecord({ libraryId: "wide", jobId, url, targetRecall: 0.95, leaseMs: 30_000 }),
    );
    const benchmark: ShardBenchmarkRequest = {
      libraryId: "wide",
      jobId,
      partitions: PARTITIONS,
      dimension: WIDE,
      metric: "l2",
      indexType: "flat",
      hnsw: { m: 8, efConstruction: 32, efSearch: 32 },
      strategies: [{ strategy: "none" }],
      queries: { source: "request", count: 100, vectors: randoms(100 * WIDE) },
      sampleSize: 1_000,
      libraryVectors: 200,
      targetRecall: 0.95,
    };
    expect(encodeShardRpc({ op: "benchmark", request: benchmark }).byteLength).toBeGreaterThan(MB);
    expect(await client.benchmark(benchmark)).toEqual({ jobId, runner: "s1" });
    await expect
      .poll(async () => (await store.read("wide", jobId))?.record.job.status, { timeout: 60_000 })
      .toBe("completed");
    const { record } = (await store.read("wide", jobId))!;
    expect(record.runner).toBe("s1");
    expect(record.job.sample).toMatchObject({ base_vectors: 200, queries: 100 });
    expect(record.job.results[0]["recall@10"]).toBe(1);
  });

  it("answers every library's statistics, over several pages", async () => {
    const direct = await node.nodeStats();
    expect(direct.rows).toHaveLength(PARTITIONS * (SMALL + 2));
    const answered = await client.nodeStats();
    expect(answered).toEqual({ shardId: "s1", rows: direct.rows });
  });
});
