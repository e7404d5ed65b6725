import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiError, QuiverClient } from "@quiver/api";
import { partitionsOwnedBy } from "@quiver/cluster";
import { partitionOf } from "@quiver/events";
import { freePort, type NatsServer, startNatsServer } from "@quiver/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalCluster, startLocalCluster } from "./local-cluster.js";
import { exactTopK, randomVectors } from "./test-support/vectors.js";

const PARTITIONS = 4;
const DIM = 8;
const COUNT = 2_000;

describe("cluster: a shard node leaves and comes back", () => {
  let nats: NatsServer;
  let cluster: LocalCluster;
  let client: QuiverClient;
  const dataDir = mkdtempSync(join(tmpdir(), "quiver-failover-"));
  const data = randomVectors(COUNT, DIM, 5);
  const query = randomVectors(1, DIM, 6);
  const expected = exactTopK(data, DIM, query, 10).map((i) => `v${i}`);
  let libraryId = "";

  beforeAll(async () => {
    nats = await startNatsServer();
    cluster = await startLocalCluster({
      natsUrl: nats.url,
      dataDir,
      shards: 2,
      partitions: PARTITIONS,
      replicas: 1,
      host: "127.0.0.1",
      port: await freePort(),
      logLevel: "warn",
      stdio: "ignore",
    });
    client = new QuiverClient({ url: cluster.url });
    const lib = await client.createLibrary({ name: "moves", dimension: DIM, index_type: "flat" });
    libraryId = lib.id;
    const rows = Array.from({ length: COUNT }, (_, i) => ({
      id: `v${i}`,
      vector: data.subarray(i * DIM, (i + 1) * DIM),
    }));
    await client.upsert(libraryId, rows, { wait: true });
  });
  afterAll(async () => {
    await cluster?.stop();
    await nats?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("fails searches with 503 (or answers partial when allowed) until another shard takes over, then answers in full; a returning shard takes its partitions back without a gap", async () => {
    const members = ["shard-1", "shard-2"];
    // the shard that owns partitions (rendezvous hashing may give one shard all four)
    const victim = members.findIndex(
      (m) => partitionsOwnedBy(m, members, PARTITIONS, 1).length > 0,
    );
    const lost = partitionsOwnedBy(members[victim], members, PARTITIONS, 1);
    expect((await client.search(libraryId, query, { k: 10 })).results.map((h) => h.id)).toEqual(
      expected,
    );

    // once the process is gone (a request already in flight to a dying shard waits for its timeout)
    const gone = new Promise((r) => cluster.shardProcesses[victim].once("exit", r));
    cluster.shardProcesses[victim].kill("SIGKILL");
    await gone;
    await new Promise((r) => setTimeout(r, 200));
    const failed = await client.search(libraryId, query, { k: 10 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failed).toBeInstanceOf(ApiError);
    expect((failed as ApiError).status).toBe(503);
    expect((failed as ApiError).code).toBe("PARTITION_UNAVAILABLE");
    // the dead node's partitions, all of them unless a takeover already began (a loaded machine
    // can delay heartbeats enough for that)
    const missing = (failed as ApiError).details.partitions as number[];
    expect(missing.length).toBeGreaterThan(0);
    expect(lost).toEqual(expect.arrayContaining(missing));
    const partial = await client.search(libraryId, query, { k: 10, allow_partial: true });
    if (partial.partial) {
      expect(partial.missing_partitions?.length).toBeGreaterThan(0);
      expect(lost).toEqual(expect.arrayContaining(partial.missing_partitions ?? []));
      // what it returns comes from the partitions that answered
      for (const hit of partial.results) {
        expect(partial.missing_partitions).not.toContain(
          partitionOf(libraryId, hit.id, PARTITIONS),
        );
      }
    } else {
      expect(partial.results.map((h) => h.id)).toEqual(expected);
    }

    // the membership record expires (5 s), the other shard catches the partitions up from the log
    const deadline = Date.now() + 60_000;
    let answer: string[] | undefined;
    while (Date.now() < deadline) {
      answer = await client.search(libraryId, query, { k: 10 }).then(
        (r) => r.results.map((h) => h.id),
        () => undefined,
      );
      if (answer) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(answer).toEqual(expected);

    // the shard comes back on its data: its partitions move back, served throughout
    cluster.restartShard(victim);
    const until = Date.now() + 12_000;
    let searches = 0;
    while (Date.now() < until) {
      const r = await client.search(libraryId, query, { k: 10 });
      expect(r.results.map((h) => h.id)).toEqual(expected);
      searches++;
    }
    expect(searches).toBeGreaterThan(10);
    expect((await fetch(`${cluster.url}/readyz`)).status).toBe(200);
    expect((await client.getLibrary(libraryId)).num_vectors).toBe(COUNT);
  });
});

describe("cluster: two replicas per partition", () => {
  it("keeps answering in full, without a 503, when one of two shard nodes is killed", async () => {
    const data = randomVectors(500, DIM, 9);
    const query = randomVectors(1, DIM, 10);
    const nats = await startNatsServer();
    const dir = mkdtempSync(join(tmpdir(), "quiver-replicas-"));
    const cluster = await startLocalCluster({
      natsUrl: nats.url,
      dataDir: dir,
      shards: 2,
      partitions: PARTITIONS,
      replicas: 2,
      host: "127.0.0.1",
      port: await freePort(),
      logLevel: "warn",
      stdio: "ignore",
    });
    try {
      const client = new QuiverClient({ url: cluster.url });
      const lib = await client.createLibrary({
        name: "replicated",
        dimension: DIM,
        index_type: "flat",
      });
      const rows = Array.from({ length: 500 }, (_, i) => ({
        id: `v${i}`,
        vector: data.subarray(i * DIM, (i + 1) * DIM),
      }));
      await client.upsert(lib.id, rows, { wait: true });
      const expected500 = exactTopK(data.subarray(0, 500 * DIM), DIM, query, 10).map(
        (i) => `v${i}`,
      );
      // both nodes serve every partition
      await expect
        .poll(
          async () =>
            (
              (await (await fetch(`${cluster.url}/readyz`)).json()) as {
                partitions: Record<string, string[]>;
              }
            ).partitions,
          { timeout: 30_000 },
        )
        .toEqual(
          Object.fromEntries(
            Array.from({ length: PARTITIONS }, (_, p) => [p, ["shard-1", "shard-2"]]),
          ),
        );
      const gone = new Promise((r) => cluster.shardProcesses[0].once("exit", r));
      cluster.shardProcesses[0].kill("SIGKILL");
      await gone;
      for (let i = 0; i < 50; i++) {
        const r = await client.search(lib.id, query, { k: 10 });
        expect(r.partial).toBeUndefined();
        expect(r.results.map((h) => h.id)).toEqual(expected500);
      }
    } finally {
      await cluster.stop();
      await nats.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
