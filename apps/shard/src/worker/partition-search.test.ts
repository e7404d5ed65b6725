import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ShardHit, ShardSearchRequest } from "@quiver/api";
import { Rng } from "@quiver/engine";
import { type ConcreteQuantizationConfig, encodeEvent, type QuiverEvent } from "@quiver/events";
import { LmdbLog } from "@quiver/log";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ShardNode } from "../node/shard-node.js";
import { quantizerTrainedEvents } from "../test-support/trained-quantizer.js";

const DIM = 10;
const N = 3000;
const rng = new Rng(5);
// unnormalised rows of varied length: cosine must be exact on them
const rows = Float32Array.from({ length: N * DIM }, () => (rng.next() * 2 - 1) * (1 + rng.int(4)));
const queries = Float32Array.from({ length: 4 * DIM }, () => rng.next() * 2 - 1);
const row = (i: number) => rows.subarray(i * DIM, (i + 1) * DIM);

const HYBRID: ConcreteQuantizationConfig = {
  strategy: "hybrid",
  initial_search: "scalar",
  rerank_top_k: 50,
  rerank_precision: "float32",
  float32_cache_mb: 1,
  bits: 8,
  calibration_samples: 1000,
  subvectors: 5,
  codebook_size: 256,
  training_samples: 1000,
};

/** The engine's distances in float64, sorted: what an exact search must answer. */
function bruteForce(metric: "l2" | "cosine", q: Float32Array, admit: (i: number) => boolean) {
  const scored: { id: string; d: number }[] = [];
  for (let i = 0; i < N; i++) {
    if (!admit(i)) continue;
    const x = row(i);
    let l2 = 0;
    let dot = 0;
    let nx = 0;
    let nq = 0;
    for (let d = 0; d < DIM; d++) {
      l2 += (q[d] - x[d]) ** 2;
      dot += q[d] * x[d];
      nx += x[d] * x[d];
      nq += q[d] * q[d];
    }
    scored.push({ id: `v${i}`, d: metric === "l2" ? l2 : 1 - dot / Math.sqrt(nx * nq) });
  }
  return scored.sort((a, b) => a.d - b.d);
}

function expectExact(hits: ShardHit[], want: { id: string; d: number }[], k: number): void {
  expect(hits).toHaveLength(k);
  hits.forEach((h, i) => expect(h.distance).toBeCloseTo(want[i].d, 4));
  // the same ids where the distances are not tied
  const got = new Set(hits.map((h) => h.id));
  for (let i = 0; i < k - 1; i++)
    if (want[i + 1].d - want[i].d > 1e-5) expect(got.has(want[i].id)).toBe(true);
}

describe.each(["l2", "cosine"] as const)("searching a partition (%s)", (metric) => {
  let dir: string;
  let log: LmdbLog;
  let node: ShardNode;
  const request = (extra: Partial<ShardSearchRequest>): ShardSearchRequest => ({
    libraryId: "lib",
    partitions: [0],
    queries,
    dimension: DIM,
    k: 10,
    includeMetadata: false,
    includeVectors: false,
    timeoutMs: 10_000,
    ...extra,
  });
  const search = async (extra: Partial<ShardSearchRequest>) =>
    (await node.search(request(extra))).results[0].hits!;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "quiver-search-"));
    log = LmdbLog.open({ path: join(dir, "log") });
    let n = 0;
    const append = (e: QuiverEvent) => log.append(0, encodeEvent(e), `m${n++}`);
    await append({
      type: "library.created",
      libraryId: "lib",
      tenantId: "t",
      name: "lib",
      dimension: DIM,
      metric,
      indexType: "hnsw",
      hnsw: { m: 8, ef_construction: 64, ef_search: 64 },
      quantization: HYBRID,
      partitions: 1,
      createdAtMs: 1,
    });
    const names = Array.from({ length: N }, (_, i) => `v${i}`);
    await append({
      type: "vectors.upserted",
      libraryId: "lib",
      ids: names,
      dimension: DIM,
      vectors: rows,
      metadata: names.map((_, i) => ({ odd: i % 2 === 1, rare: i % 100 === 7 })),
    });
    // the library's quantizer, trained once (as a shard's training appends it)
    const trained = quantizerTrainedEvents({
      libraryId: "lib",
      trainingId: "trn_1",
      config: HYBRID,
      dimension: DIM,
      metric,
      rows,
      n: 1000,
    });
    for (const e of trained) await append(e);
    node = await ShardNode.start({
      shardId: "s1",
      storePath: join(dir, "store"),
      log: { kind: "lmdb", path: join(dir, "log") },
      workers: 1,
    });
    await node.assign([0]);
    // the codes index is built in the background; the exact one serves until it switches
    for (;;) {
      const [stats] = (await node.libraryStats("lib", [0])).partitions;
      if (stats?.phase === "quantized") break;
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  afterAll(async () => {
    await node.close();
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers `exact` with the exact neighbours on the float32 originals", async () => {
    const hits = await search({ exact: true });
    hits.forEach((h, q) =>
      expectExact(
        h,
        bruteForce(metric, queries.subarray(q * DIM, (q + 1) * DIM), () => true),
        10,
      ),
    );
  });

  it("scans a selective filter's matches exactly", async () => {
    const hits = await search({ filter: { rare: true } });
    hits.forEach((h, q) => {
      const want = bruteForce(
        metric,
        queries.subarray(q * DIM, (q + 1) * DIM),
        (i) => i % 100 === 7,
      );
      expectExact(h, want, 10);
    });
  });

  it("reranks the hybrid's candidates in float32, through the cache, as on a second pass", async () => {
    const first = await search({});
    const second = await search({});
    expect(second).toEqual(first);
    let found = 0;
    first.forEach((h, q) => {
      const want = bruteForce(metric, queries.subarray(q * DIM, (q + 1) * DIM), () => true);
      const exact = new Map(want.map((w) => [w.id, w.d]));
      // reranked distances are the exact ones
      for (const hit of h) expect(hit.distance).toBeCloseTo(exact.get(hit.id)!, 4);
      const top = new Set(want.slice(0, 10).map((w) => w.id));
      found += h.filter((hit) => top.has(hit.id)).length;
    });
    expect(found / 40).toBeGreaterThanOrEqual(0.9);
    // the rerank went through the cache: the second pass only hit it
    const [stats] = (await node.libraryStats("lib", [0])).partitions;
    expect(stats.float32Cache!.hits).toBeGreaterThanOrEqual(4 * 50);
    expect(stats.float32Cache!.misses).toBeLessThanOrEqual(4 * 50);
    // every index of the node lives in its one workspace memory
    expect((await node.workspaceFigures()).map((f) => f.memories)).toEqual([1]);
  });
});
