import { QuiverClient } from "@quiver/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestCluster, type TestCluster } from "./test-support/test-cluster.js";
import { followMigration, isSorted } from "./test-support/migration-progress.js";
import { randomVectors } from "./test-support/vectors.js";

const PARTITIONS = 4;
const DIM = 16;
const COUNT = 100_000;
const BATCH = 1_000;

// The acceptance: none -> scalar -> product -> hybrid -> none on a 100k library under
// continuous search (and write) load, with a shard process killed by SIGKILL mid-migration.
describe("cluster: migrations of a 100k-vector library under load", () => {
  let cluster: TestCluster;
  let client: QuiverClient;
  let libraryId = "";
  const data = randomVectors(COUNT, DIM, 77);
  const vectorOf = (i: number) => Array.from(data.subarray(i * DIM, (i + 1) * DIM));

  beforeAll(async () => {
    cluster = await startTestCluster({
      shards: 2,
      partitions: PARTITIONS,
      replicas: 2,
      stdio: "inherit",
    });
    client = new QuiverClient({ url: cluster.url });
    const lib = await client.createLibrary({
      name: "big",
      dimension: DIM,
      partitions: PARTITIONS,
      hnsw_config: { m: 8, ef_construction: 32, ef_search: 32 },
    });
    libraryId = lib.id;
    for (let i = 0; i < COUNT; i += BATCH) {
      const rows = Array.from({ length: BATCH }, (_, j) => ({
        id: `v${i + j}`,
        vector: vectorOf(i + j),
      }));
      await client.upsert(libraryId, rows, { wait: i + BATCH >= COUNT });
    }
  }, 600_000);
  afterAll(async () => cluster?.stop());

  it("switches strategies with no failed search, no lost vector, progress that only grows, and survives a SIGKILLed shard", async () => {
    expect((await client.getLibrary(libraryId)).num_vectors).toBe(COUNT);
    const failures: string[] = [];
    let searches = 0;
    let written = 0;
    let running = true;
    const searcher = async (seed: number) => {
      let i = seed;
      while (running) {
        i = (i * 7919 + 13) % COUNT;
        try {
          const found = await client.search(libraryId, vectorOf(i), { k: 10 });
          if (found.results.length !== 10) failures.push(`search ${i}: ${found.results.length}`);
          searches++;
        } catch (error) {
          failures.push(`search ${i}: ${(error as Error).message}`);
        }
      }
    };
    // writes during the migrations: new ids, applied to the old index and caught up by the new
    const writer = async () => {
      while (running) {
        const rows = Array.from({ length: 20 }, (_, j) => ({
          id: `w${written + j}`,
          vector: vectorOf((written + j) % COUNT).map((x) => x + 0.01),
        }));
        try {
          await client.upsert(libraryId, rows);
          written += rows.length;
        } catch (error) {
          failures.push(`write: ${(error as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const load = [searcher(1), searcher(2), writer()];

    const steps = [
      { strategy: "scalar", calibration_samples: 5_000 },
      { strategy: "product", subvectors: 4, codebook_size: 64, training_samples: 5_000 },
      {
        strategy: "hybrid",
        initial_search: "product",
        subvectors: 4,
        codebook_size: 64,
        training_samples: 5_000,
      },
      { strategy: "none" },
    ];
    const timeline: string[] = [];
    for (const [step, config] of steps.entries()) {
      const started = await client.migrate(libraryId, { quantization_config: config });
      const t0 = Date.now();
      let killed = false;
      const { last, progress } = await followMigration(
        client,
        libraryId,
        started.migration_id,
        (m) => {
          // mid-way through the product migration, SIGKILL a shard process and restart it
          if (step === 1 && !killed && m.progress > 0.1 && m.progress < 0.9) {
            killed = true;
            timeline.push(`killed shard-1 at progress ${m.progress}`);
            cluster.shardProcesses[0].kill("SIGKILL");
            cluster.shardProcesses[0].once("exit", () => {
              // a shard that dies on its own afterwards fails the test, with its exit status
              cluster
                .restartShard(0)
                .once("exit", (code, signal) =>
                  failures.push(`shard-1 exited on its own: ${code ?? signal}`),
                );
            });
          }
          return m.status !== "in_progress";
        },
        600_000,
      );
      expect(last.status, JSON.stringify(last)).toBe("completed");
      expect(isSorted(progress), progress.join(" ")).toBe(true);
      if (step === 1) expect(killed).toBe(true);
      // every replica of every partition ends on the new strategy (a restarted shard resumes)
      let last_: unknown;
      const deadline = Date.now() + 300_000;
      for (;;) {
        const m = await client.migration(libraryId, started.migration_id);
        last_ = m.partitions.map((p) => `${p.partition}@${p.shard}:${p.state}`);
        if (
          m.partitions.length === PARTITIONS * 2 &&
          m.partitions.every((p) => p.state === "switched")
        )
          break;
        if (Date.now() > deadline)
          throw new Error(
            `not every replica switched to ${config.strategy}: ${JSON.stringify(last_)}; ${timeline.join("; ")}; processes ${cluster.shardProcesses.map((p) => p.exitCode ?? p.signalCode ?? "running").join(", ")}; ${failures.slice(0, 5).join("; ")}`,
          );
        await new Promise((r) => setTimeout(r, 500));
      }
      timeline.push(`${config.strategy}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    running = false;
    await Promise.all(load);
    cluster.shardProcesses[0].removeAllListeners("exit");
    console.log(`migrations: ${timeline.join("; ")}; ${searches} searches, ${written} writes`);

    expect(failures).toEqual([]);
    expect(searches).toBeGreaterThan(100);
    expect((await client.getLibrary(libraryId)).quantization_config).toEqual({ strategy: "none" });
    // no lost vector: every acknowledged write is there, on every replica
    const stats = await client.statistics(libraryId);
    expect(stats.state).toBe("serving");
    expect(stats.num_vectors).toBe(COUNT + written);
    for (const p of stats.partitions) expect(p.phase).toBe("exact");
    const perShard = new Map<string, number>();
    for (const p of stats.partitions)
      perShard.set(p.shard, (perShard.get(p.shard) ?? 0) + p.vectors);
    expect([...perShard.values()]).toEqual([COUNT + written, COUNT + written]);
    for (let i = 0; i < written; i += 97) {
      expect((await client.getVector(libraryId, `w${i}`)).id).toBe(`w${i}`);
    }
    const found = await client.search(libraryId, vectorOf(4242), { k: 1 });
    expect(found.results[0].id).toBe("v4242");
  }, 1_200_000);
});
