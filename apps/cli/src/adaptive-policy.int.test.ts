import { QuiverClient, type RecommendationResponse } from "@quiver/api";
import { freePort, type Prometheus, startPrometheus } from "@quiver/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestCluster, type TestCluster } from "./test-support/test-cluster.js";
import { followMigration } from "./test-support/migration-progress.js";
import { randomVectors } from "./test-support/vectors.js";

const DIM = 64;
const COUNT = 24_000;
const PARTITIONS = 2;

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, ms = 120_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting until ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

// The acceptance for the adaptive policy: a real Prometheus (Debian's) scrapes a real
// local cluster; the policy reads memory through PromQL and recall from the probe.
describe("adaptive policy with Prometheus over a local cluster", () => {
  let prometheus: Prometheus;
  let cluster: TestCluster;
  let client: QuiverClient;

  beforeAll(async () => {
    const shardPorts = [await freePort(), await freePort()];
    const port = await freePort();
    prometheus = await startPrometheus({
      scrapeIntervalMs: 500,
      targets: [
        {
          job: "quiver-shard",
          urls: shardPorts.map((p) => `http://127.0.0.1:${p}/metrics`),
        },
      ],
    });
    cluster = await startTestCluster({
      shards: 2,
      partitions: PARTITIONS,
      replicas: 1,
      port,
      shardHttpPorts: shardPorts,
      stdio: "ignore",
      coordinatorEnv: {
        QUIVER_PROMETHEUS_URL: prometheus.url,
        QUIVER_POLICY_INTERVAL_MS: "1000",
        QUIVER_POLICY_COOLDOWN_MS: "5000",
        QUIVER_PROBE_INTERVAL_MS: "0",
      },
    });
    client = new QuiverClient({ url: cluster.url });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
    await prometheus?.stop();
  });

  it("compacts a library over its lowered budget, does not flap, and moves to a more precise strategy when recall falls below target", async () => {
    const lib = await client.createLibrary({
      name: "adaptive",
      dimension: DIM,
      partitions: PARTITIONS,
      // a small ef: approximate enough that recall is measurably below 1
      hnsw_config: { m: 8, ef_construction: 32, ef_search: 12 },
      quantization_config: { strategy: "adaptive", max_memory_gb: 1, target_accuracy: 0.5 },
    });
    const data = randomVectors(COUNT, DIM, 3);
    for (let i = 0; i < COUNT; i += 2000) {
      const rows = Array.from({ length: 2000 }, (_, j) => ({
        id: `v${i + j}`,
        vector: Array.from(data.subarray((i + j) * DIM, (i + j + 1) * DIM)),
      }));
      await client.upsert(lib.id, rows, { wait: i + 2000 >= COUNT });
    }
    // Prometheus has scraped the library: the policy sees its footprint, within budget: no change
    const settled = await until(
      "Prometheus reports the library",
      () => client.recommendation(lib.id),
      (r) => r.inputs.vectors === COUNT,
    );
    expect(settled).toMatchObject({ strategy: "adaptive", current: "none", change: false });
    const before = (await client.statistics(lib.id)).memory_usage.bytes.total;
    expect(settled.inputs.memory_bytes).toBeGreaterThan(0.9 * before);
    expect(settled.inputs.memory_bytes).toBeLessThan(1.1 * before);

    // 1. a budget below the footprint: the rule (asked "what if" first) compacts to hybrid-scalar
    const budget = 0.7 * before;
    const whatIf = await client.recommendation(lib.id, { max_memory_gb: budget / 1e9 });
    expect(whatIf).toMatchObject({ change: true, recommended: "hybrid-scalar" });
    expect(whatIf.inputs["estimate_hybrid-scalar"]).toBeLessThan(0.9 * budget);
    await client.updateLibrary(lib.id, {
      quantization_config: {
        strategy: "adaptive",
        max_memory_gb: budget / 1e9,
        target_accuracy: 0.5,
      },
    });
    const decided = await until(
      "a policy decision",
      () => client.recommendation(lib.id),
      (r) => r.last_decision !== null,
      60_000,
    );
    expect(decided.last_decision?.reason).toContain("over its budget");
    expect(decided.last_decision?.decision).toBe("hybrid-scalar");
    const [migration] = await client.migrations(lib.id);
    const done = await followMigration(
      client,
      lib.id,
      migration.migration_id,
      (m) => m.status !== "in_progress",
    );
    expect(done.last.status).toBe("completed");
    const compacted = await client.statistics(lib.id);
    expect(compacted.memory_usage.bytes.total).toBeLessThan(budget);
    expect(compacted.num_vectors).toBe(COUNT);
    // the decision, its inputs and reason, in the statistics too
    expect(compacted.quantization.current).toBe("hybrid-scalar");
    expect(compacted.quantization.policy?.last_decision).toEqual(decided.last_decision);
    expect(compacted.quantization.policy?.last_decision?.inputs.memory_bytes).toBeGreaterThan(
      budget,
    );

    // 2. no flapping: the inputs move with every scrape, the choice stays for many policy rounds
    const firstAt = decided.last_decision?.decided_at;
    const rounds: RecommendationResponse[] = [];
    for (let i = 0; i < 12; i++) {
      rounds.push(await client.recommendation(lib.id));
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(
      rounds.filter((r) => r.current !== "hybrid-scalar" || r.change),
      JSON.stringify(rounds.map((r) => [r.current, r.change, r.reason])),
    ).toEqual([]);
    expect((await client.recommendation(lib.id)).last_decision?.decided_at).toBe(firstAt);
    expect(await client.migrations(lib.id)).toHaveLength(1);

    // 3. recall below target: with room in the budget for float32, the policy goes back to none
    const probe = await client.probeRecall(lib.id, { sampleSize: 200, seed: 1 });
    expect(probe.strategy).toBe("hybrid-scalar");
    const target = Math.min(0.999, probe.recall_at_10 + 0.05);
    await client.updateLibrary(lib.id, {
      quantization_config: {
        strategy: "adaptive",
        max_memory_gb: (2 * before) / 0.7 / 1e9,
        target_accuracy: target,
      },
    });
    const precise = await until(
      "a second decision",
      () => client.recommendation(lib.id),
      (r) => r.last_decision !== null && r.last_decision.decided_at !== firstAt,
      60_000,
    );
    expect(precise.last_decision?.decision).toBe("none");
    expect(precise.last_decision?.reason).toContain("recall@10");
    expect(precise.last_decision?.inputs.recall_at_10).toBe(probe.recall_at_10);
    const migrations = await client.migrations(lib.id);
    expect(migrations).toHaveLength(2);
    const second = await followMigration(
      client,
      lib.id,
      migrations[1].migration_id,
      (m) => m.status !== "in_progress",
    );
    expect(second.last.status).toBe("completed");
    expect((await client.recommendation(lib.id)).current).toBe("none");
  }, 600_000);
});
