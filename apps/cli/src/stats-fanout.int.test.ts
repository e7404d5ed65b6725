import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CreateLibraryBody, ShardClient } from "@quiver/api";
import { InProcessMembership, MembershipRouter } from "@quiver/cluster";
import {
  Catalog,
  createServices,
  ProbeScheduler,
  type ServiceContext,
  type Services,
} from "@quiver/coordinator";
import { LmdbKv, LmdbLog } from "@quiver/log";
import { MembershipAgent, ShardNode } from "@quiver/shard";
import { silentLogger } from "@quiver/telemetry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomVectors } from "./test-support/vectors.js";

const SHARDS = ["s1", "s2"];
const PARTITIONS = 4;
const DIM = 8;
/** Libraries of each kind the controllers look at. */
const PER_KIND = 15;
const VECTORS = 60;
const STATS_OPS = ["libraryStats", "nodeStats"] as const;

/** The statistics calls each shard node received, by operation. */
type Calls = Map<string, number>;

/** The node itself, its statistics calls counted on their way in. */
function counted(node: ShardNode, calls: Calls): ShardClient {
  return new Proxy(node, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const op = String(prop);
        if ((STATS_OPS as readonly string[]).includes(op)) {
          const key = `${node.shardId}:${op}`;
          calls.set(key, (calls.get(key) ?? 0) + 1);
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// The issue's Build item 5: the controllers' rounds over every library cost one statistics call
// per shard node, not one per library. A real deployment in this process: the LMDB log, two shard
// nodes (a thread each) sharing the partitions through the membership, a coordinator's services.
describe("the controllers' statistics fan out per shard node, not per library", () => {
  const dir = mkdtempSync(join(tmpdir(), "quiver-stats-fanout-"));
  const logPath = join(dir, "log");
  const log = LmdbLog.open({ path: logPath });
  const kv = LmdbKv.open({ path: join(dir, "kv") });
  const membership = new InProcessMembership();
  const calls: Calls = new Map();
  const nodes: ShardNode[] = [];
  const agents: MembershipAgent[] = [];
  let catalog: Catalog;
  let ctx: ServiceContext;
  let services: Services;
  let scheduler: ProbeScheduler;
  let router: MembershipRouter;

  /** Runs `round` and answers the statistics calls it made, by shard and operation. */
  async function callsOf(round: () => Promise<unknown>): Promise<Record<string, number>> {
    calls.clear();
    await round();
    return Object.fromEntries([...calls].sort());
  }

  /** Every call a node statistics call, at most one per shard node. */
  function expectPerShard(made: Record<string, number>): void {
    for (const [key, n] of Object.entries(made)) {
      expect(key.endsWith(":nodeStats"), key).toBe(true);
      expect(n, key).toBe(1);
    }
  }

  beforeAll(async () => {
    for (const shardId of SHARDS) {
      const node = await ShardNode.start({
        shardId,
        storePath: join(dir, shardId),
        log: { kind: "lmdb", path: logPath },
        workers: 1,
        training: { log },
      });
      nodes.push(node);
      agents.push(new MembershipAgent(node, membership, { partitions: PARTITIONS, replicas: 1 }));
    }
    for (const agent of agents) await agent.start();
    const byId = new Map(nodes.map((n) => [n.shardId, counted(n, calls)]));
    router = new MembershipRouter(membership, (id) => byId.get(id) as ShardClient);
    // every partition served by exactly one node, the one rendezvous hashing gives it
    await until("the partitions are shared out", () =>
      Array.from({ length: PARTITIONS }, (_, p) => p).every(
        (p) =>
          router.replicas(p).length === 1 &&
          nodes.filter((n) => n.partitions().includes(p)).length === 1,
      ),
    );
    catalog = new Catalog(log, kv, silentLogger());
    await catalog.start();
    ctx = {
      log,
      kv,
      catalog,
      router,
      logger: silentLogger(),
      defaultPartitions: PARTITIONS,
      maxPartitions: PARTITIONS,
      searchTimeoutMs: 10_000,
      waitTimeoutMs: 30_000,
    };
    // the policy's figures from the shards' statistics (a cluster without Prometheus)
    services = createServices(ctx, { intervalMs: 60_000 }, 1_000);
    scheduler = new ProbeScheduler(ctx, services.probe, services.nodeStats, 60_000);
    const kinds: CreateLibraryBody["quantization_config"][] = [
      // far over a tiny budget: the policy moves them to the most compact strategy
      { strategy: "adaptive", max_memory_gb: 1e-7, target_accuracy: 0.9 },
      // codes, waiting for more vectors than they hold before their first training
      { strategy: "scalar", calibration_samples: 10_000 },
      { strategy: "none" },
    ];
    const data = randomVectors(VECTORS, DIM, 11);
    const rows = Array.from({ length: VECTORS }, (_, i) => ({
      id: `v${i}`,
      vector: Array.from(data.subarray(i * DIM, (i + 1) * DIM)),
    }));
    const json = JSON.stringify({ vectors: rows, wait: true });
    const body = () => new TextEncoder().encode(json);
    for (const [k, quantization_config] of kinds.entries()) {
      for (let i = 0; i < PER_KIND; i++) {
        const { id } = await services.libraries.create("tenant", {
          name: `lib-${k}-${i}`,
          dimension: DIM,
          partitions: PARTITIONS,
          quantization_config,
        });
        // a body of its own each time: the ingest thread takes it over
        await services.vectors.upsert(catalog.get(id)!, body(), undefined);
      }
    }
  }, 180_000);

  afterAll(async () => {
    await services?.ingest.close();
    await catalog?.stop();
    await kv.close();
    for (const agent of agents) await agent.stop();
    for (const node of nodes) await node.close();
    await membership.close();
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`costs a call per shard a round over ${3 * PER_KIND} libraries, with the same outcomes`, async () => {
    const libraries = catalog.all();
    expect(libraries).toHaveLength(3 * PER_KIND);
    const shards = router.shards().length;
    // one library's statistics reach every node serving one of its partitions
    const perLibrary = new Set(
      Array.from({ length: PARTITIONS }, (_, p) => router.replicas(p)[0]?.shardId),
    ).size;
    const report: string[] = [];
    const round = async (name: string, run: () => Promise<unknown>) => {
      // a round of its own: the shared view's latest round is too old for it
      await new Promise((r) => setTimeout(r, 1_100));
      const made = await callsOf(run);
      report.push(`${name}: ${JSON.stringify(made)}`);
      expectPerShard(made);
      return made;
    };

    // the probe scheduler's look at every library (each under 1,000 vectors: none measured)
    expect(await round("probe pass", () => scheduler.pass())).not.toEqual({});
    expect(catalog.allRecalls()).toHaveLength(0);

    // the policy: the first round asks for the change, the second makes it (and starts migrations)
    await round("policy tick 1", () => services.policy.tick());
    expect(libraries.filter((l) => catalog.lastDecision(l.libraryId))).toHaveLength(0);
    await round("policy tick 2", () => services.policy.tick());
    const decided = libraries.filter((l) => catalog.lastDecision(l.libraryId));
    expect(decided).toHaveLength(PER_KIND);
    expect(catalog.activeMigrations()).toHaveLength(PER_KIND);

    // the trainings' look at the libraries on codes (too few vectors: none trains)
    expect(await round("training tick", () => services.training.tick())).not.toEqual({});
    expect(services.training.running).toBe(0);

    // the migrations' driver follows every migration in progress on one round per check
    for (let check = 1; catalog.activeMigrations().length > 0; check++) {
      expect(check, "the migrations complete").toBeLessThan(60);
      await round(`migration check ${check}`, () => services.migrations.drive());
    }
    for (const l of decided) {
      const [m] = catalog.migrationsOf(l.libraryId);
      expect(m.status).toBe("completed");
    }
    console.log(
      `${libraries.length} libraries over ${shards} shard nodes (a library's own statistics ` +
        `cost ${perLibrary} calls); statistics calls per round:\n  ${report.join("\n  ")}`,
    );
  }, 180_000);
});
