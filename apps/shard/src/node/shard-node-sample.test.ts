import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  decodeShardRpc,
  encodeShardRpc,
  type ShardRpcReply,
  type ShardSampleResponse,
} from "@quiver/api";
import { encodeEvent, type QuiverEvent } from "@quiver/events";
import { LmdbLog } from "@quiver/log";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ShardNode } from "./shard-node.js";

const DIM = 4;
const LIB = "lib";
/** Vectors per partition: partition 0 holds 300 (100 of them deleted later), partition 1 holds 100. */
const PLAN = [
  { partition: 0, ids: 300, deleted: 100 },
  { partition: 1, ids: 100, deleted: 0 },
];

const vectorOf = (partition: number, i: number) =>
  Float32Array.from({ length: DIM }, (_, d) => partition * 1000 + i + d / 10);

describe("ShardNode.sample", () => {
  let dir: string;
  let log: LmdbLog;
  let node: ShardNode;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "quiver-sample-"));
    log = LmdbLog.open({ path: join(dir, "log") });
    let n = 0;
    const append = (p: number, e: QuiverEvent) => log.append(p, encodeEvent(e), `m${n++}`);
    for (const { partition, ids, deleted } of PLAN) {
      await append(partition, {
        type: "library.created",
        libraryId: LIB,
        tenantId: "t",
        name: LIB,
        dimension: DIM,
        metric: "l2",
        indexType: "flat",
        hnsw: { m: 8, ef_construction: 32, ef_search: 32 },
        quantization: { strategy: "none" },
        partitions: 2,
        createdAtMs: 1,
      });
      const vectors = new Float32Array(ids * DIM);
      for (let i = 0; i < ids; i++) vectors.set(vectorOf(partition, i), i * DIM);
      const names = Array.from({ length: ids }, (_, i) => `p${partition}-${i}`);
      await append(partition, {
        type: "vectors.upserted",
        libraryId: LIB,
        ids: names,
        dimension: DIM,
        vectors,
        metadata: names.map(() => null),
      });
      if (deleted > 0) {
        await append(partition, {
          type: "vectors.deleted",
          libraryId: LIB,
          ids: names.slice(0, deleted),
        });
      }
    }
    // two worker threads: the partitions of a sample live on different threads
    node = await ShardNode.start({
      shardId: "s1",
      storePath: join(dir, "store"),
      log: { kind: "lmdb", path: join(dir, "log") },
      workers: 2,
    });
    await node.assign([0, 1]);
  });

  afterAll(async () => {
    await node.close();
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reports each hosted partition's state and applied sequence", async () => {
    const status = await node.status();
    expect(status.shardId).toBe("s1");
    expect(status.partitions.map((p) => [p.partition, p.state])).toEqual([
      [0, "serving"],
      [1, "serving"],
    ]);
    for (const p of status.partitions) expect(p.appliedSeq).toBe(await log.lastSeq(p.partition));
  });

  it("draws distinct live vectors with their originals, split by the partitions' sizes", async () => {
    const { vectors } = await node.sample({
      libraryId: LIB,
      partitions: [0, 1],
      count: 60,
      seed: 7,
    });
    expect(vectors).toHaveLength(60);
    expect(new Set(vectors.map((v) => v.id)).size).toBe(60);
    // 200 live in partition 0, 100 in partition 1
    expect(vectors.filter((v) => v.partition === 0)).toHaveLength(40);
    for (const v of vectors) {
      const [p, i] = v.id.slice(1).split("-").map(Number);
      expect(v.partition).toBe(p);
      expect(p === 0 && i < 100, `${v.id} was deleted`).toBe(false);
      expect(v.vector).toEqual(vectorOf(p, i));
    }
    // spread, not the first ids of the partition
    const indexes = vectors.filter((v) => v.partition === 0).map((v) => Number(v.id.split("-")[1]));
    expect(Math.max(...indexes)).toBeGreaterThan(250);
    expect(Math.min(...indexes)).toBeLessThan(150);
  });

  it("answers the same sample for the same seed and another for another seed", async () => {
    const ids = async (seed: number) =>
      (await node.sample({ libraryId: LIB, partitions: [0, 1], count: 30, seed })).vectors.map(
        (v) => v.id,
      );
    expect(await ids(3)).toEqual(await ids(3));
    expect(await ids(3)).not.toEqual(await ids(4));
  });

  it("answers every live vector when the count covers them, only of the partitions asked and served", async () => {
    const all = await node.sample({ libraryId: LIB, partitions: [0, 1], count: 10_000, seed: 1 });
    expect(all.vectors).toHaveLength(300);
    const one = await node.sample({ libraryId: LIB, partitions: [1, 5], count: 10_000, seed: 1 });
    expect(one.vectors).toHaveLength(100);
    expect(one.vectors.every((v) => v.partition === 1)).toBe(true);
    const none = await node.sample({ libraryId: "other", partitions: [0, 1], count: 5, seed: 1 });
    expect(none.vectors).toEqual([]);
  });

  it("answers a sample in pages of at most maxBytes, the same vectors in the same order", async () => {
    const request = { libraryId: LIB, partitions: [0, 1], count: 40, seed: 9 };
    const whole = await node.sample(request);
    const paged: string[] = [];
    let offset: number | undefined = 0;
    let pages = 0;
    while (offset !== undefined) {
      const page = await node.sample({ ...request, offset, maxBytes: 5 * DIM * 4 });
      expect(page.vectors.length).toBeLessThanOrEqual(5);
      paged.push(...page.vectors.map((v) => v.id));
      offset = page.next;
      pages++;
    }
    expect(pages).toBeGreaterThanOrEqual(8);
    expect(paged).toEqual(whole.vectors.map((v) => v.id));
  });

  it("travels over the RPC wire with its vectors as float32", async () => {
    const sample = await node.sample({ libraryId: LIB, partitions: [0, 1], count: 5, seed: 2 });
    const reply = decodeShardRpc<ShardRpcReply>(encodeShardRpc({ ok: true, sample }));
    const decoded = (reply as { sample: ShardSampleResponse }).sample;
    expect(decoded.vectors[0].vector).toBeInstanceOf(Float32Array);
    expect(decoded).toEqual(sample);
  });
});
