import { exactTopK, randomVectors } from "@quiver/cli/test-support";
import { expect, it } from "vitest";
import { untilServing } from "../library-state.js";
import type { ApiSuiteContext } from "./context.js";

/** Hybrid's float32 rerank cache: its bytes and hit ratio in the statistics, fresh after a rewrite. */
export function defineHybridCacheTests(suite: ApiSuiteContext): void {
  it("reranks hybrid searches through a float32 cache whose bytes and hit ratio the statistics report", async () => {
    const { client, deployment } = suite;
    const dim = 32;
    const count = 1200;
    const data = randomVectors(count, dim, 31);
    const lib = await client.createLibrary({
      name: "stats-hybrid",
      dimension: dim,
      partitions: Math.min(2, deployment.maxPartitions),
      quantization_config: {
        strategy: "hybrid",
        initial_search: "scalar",
        calibration_samples: 200,
        rerank_top_k: 50,
        float32_cache_mb: 1,
      },
    });
    expect(lib.quantization_config).toMatchObject({ float32_cache_mb: 1 });
    await client.upsert(
      lib.id,
      Array.from({ length: count }, (_, i) => ({
        id: `h${i}`,
        vector: data.subarray(i * dim, (i + 1) * dim),
      })),
      { wait: true },
    );
    const before = await untilServing(client, lib.id);
    expect(before.float32_cache).toMatchObject({ hits: 0, misses: 0, hit_ratio: null });
    const queries = randomVectors(10, dim, 32);
    const round = async () => {
      let found = 0;
      for (let q = 0; q < 10; q++) {
        const query = queries.subarray(q * dim, (q + 1) * dim);
        const want = exactTopK(data, dim, query, 10).map((i) => `h${i}`);
        const r = await client.search(lib.id, query, { k: 10 });
        found += r.results.filter((h) => want.includes(h.id)).length;
      }
      expect(found / 100).toBeGreaterThanOrEqual(0.9);
      return client.statistics(lib.id);
    };
    const first = await round();
    const second = await round();
    const cache1 = first.float32_cache;
    const cache2 = second.float32_cache;
    if (!cache1 || !cache2) throw new Error("a hybrid library reports its float32 cache");
    expect(cache1.capacity_bytes).toBeGreaterThan(900_000);
    expect(cache1.capacity_bytes).toBeLessThanOrEqual(1_000_000);
    expect(cache1.misses).toBeGreaterThan(0);
    expect(cache1.bytes).toBeGreaterThan(0);
    expect(first.memory_usage.bytes.float32_cache).toBe(cache1.bytes);
    expect(cache1.hit_ratio).toBeLessThan(1);
    // the same queries again read the same candidates: all hits, the ratio grows
    expect(cache2.misses).toBe(cache1.misses);
    expect(cache2.hits).toBeGreaterThan(cache1.hits);
    expect(cache2.hit_ratio ?? 0).toBeGreaterThan(cache1.hit_ratio ?? 0);
    // a rewritten vector is reranked with its new value, not the cached one
    const moved = queries.subarray(0, dim);
    await client.upsert(lib.id, [{ id: "h0", vector: moved }], { wait: true });
    const hit = await client.search(lib.id, moved, { k: 1 });
    expect(hit.results[0]).toMatchObject({ id: "h0" });
    expect(hit.results[0].distance).toBeCloseTo(0, 4);
    const plain = await client.createLibrary({ name: "stats-no-cache", dimension: dim });
    expect((await client.statistics(plain.id)).float32_cache).toBeNull();
  });
}
