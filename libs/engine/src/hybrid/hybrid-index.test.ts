import { describe, expect, it } from "vitest";
import { FlatIndex } from "../flat/flat-index.js";
import { HnswIndex } from "../hnsw/hnsw-index.js";
import { METRICS } from "../metric.js";
import { ProductQuantizer } from "../quantization/product-quantizer.js";
import {
  randomVectors,
  referenceDistance,
  referenceKnn,
  vectorOf,
} from "../test-support/reference.js";
import { HybridIndex } from "./hybrid-index.js";
import { CachedOriginals } from "./cached-originals.js";
import { InMemoryOriginals } from "./originals-source.js";

const DIM = 16;
const N = 1500;
const data = randomVectors(N + 30, DIM, 8, 2);
const queries = Array.from({ length: 30 }, (_, i) => vectorOf(data, DIM, N + i));

describe.each(METRICS)("HybridIndex (%s)", (metric) => {
  const pq = ProductQuantizer.train(data, N, DIM, { subvectors: 8, codebookSize: 256 });
  const originals = new InMemoryOriginals(DIM);
  const quantized = new HnswIndex({
    dim: DIM,
    metric,
    storage: { kind: "product", quantizer: pq },
  });
  for (let i = 0; i < N; i++) {
    quantized.upsert(i, vectorOf(data, DIM, i));
    originals.set(i, vectorOf(data, DIM, i));
  }
  const hybrid = new HybridIndex({ quantized, originals, rerankTopK: 100 });

  it("returns exact float32 distances, ascending", () => {
    for (const q of queries) {
      const r = hybrid.search(q, 10);
      for (let i = 0; i < r.ids.length; i++) {
        expect(r.distances[i]).toBeCloseTo(
          referenceDistance(metric, q, vectorOf(data, DIM, r.ids[i])),
          4,
        );
        if (i > 0) expect(r.distances[i]).toBeGreaterThanOrEqual(r.distances[i - 1]);
      }
    }
  });

  it("searches as its two steps do: candidates, then rerank", () => {
    for (const q of queries.slice(0, 5)) {
      const whole = hybrid.search(q, 10, { ef: 40, rerankTopK: 30 });
      const candidates = hybrid.candidates(q, 10, { ef: 40, rerankTopK: 30 });
      expect(candidates.ids.length).toBe(30);
      const stepped = hybrid.rerank(q, candidates, 10);
      expect(Array.from(stepped.ids)).toEqual(Array.from(whole.ids));
      expect(Array.from(stepped.distances)).toEqual(Array.from(whole.distances));
      expect(stepped.distanceCount).toBe(whole.distanceCount);
    }
  });

  it("recovers the recall that coarse codes lose", () => {
    let coarse = 0;
    let reranked = 0;
    for (const q of queries) {
      const want = referenceKnn(metric, data.subarray(0, N * DIM), DIM, q, 10);
      coarse += Array.from(quantized.search(q, 10, { ef: 100 }).ids).filter((id) =>
        want.includes(id),
      ).length;
      reranked += Array.from(hybrid.search(q, 10).ids).filter((id) => want.includes(id)).length;
    }
    expect(reranked / 300).toBeGreaterThanOrEqual(0.98);
    expect(reranked).toBeGreaterThan(coarse);
  });
});

describe("HybridIndex with a flat quantized index", () => {
  it("skips candidates whose originals are missing and honours filters", () => {
    const pq = ProductQuantizer.train(data, N, DIM, { subvectors: 8, codebookSize: 32 });
    const flat = new FlatIndex({
      dim: DIM,
      metric: "l2",
      storage: { kind: "product", quantizer: pq },
    });
    const originals = new InMemoryOriginals(DIM);
    for (let i = 0; i < 200; i++) {
      flat.upsert(i, vectorOf(data, DIM, i));
      if (i % 4 !== 0) originals.set(i, vectorOf(data, DIM, i));
    }
    const hybrid = new HybridIndex({ quantized: flat, originals, rerankTopK: 50 });
    const r = hybrid.search(queries[0], 20, { filter: (id) => id % 2 === 1 });
    expect(r.ids.length).toBe(20);
    for (const id of r.ids) {
      expect(id % 2).toBe(1);
      expect(id % 4).not.toBe(0);
    }
    const usage = hybrid.memoryUsage();
    expect(usage.originals).toBe(originals.residentBytes());
    expect(usage.total).toBeGreaterThan(usage.vectors + usage.graph);
  });
});

describe("HybridIndex through a float32 cache", () => {
  it("answers as through the source, and repeated queries hit the cache", () => {
    const sq = ProductQuantizer.train(data, N, DIM, { subvectors: 4, codebookSize: 64 });
    const flat = new FlatIndex({
      dim: DIM,
      metric: "l2",
      storage: { kind: "product", quantizer: sq },
    });
    const originals = new InMemoryOriginals(DIM);
    for (let i = 0; i < N; i++) {
      flat.upsert(i, vectorOf(data, DIM, i));
      originals.set(i, vectorOf(data, DIM, i));
    }
    const cache = new CachedOriginals(originals, 400);
    const direct = new HybridIndex({ quantized: flat, originals, rerankTopK: 40 });
    const cached = new HybridIndex({ quantized: flat, originals: cache, rerankTopK: 40 });
    let firstRoundHits = 0;
    for (const round of [0, 1]) {
      for (const q of queries.slice(0, 5)) {
        const a = direct.search(q, 10);
        const b = cached.search(q, 10);
        expect(b.ids).toEqual(a.ids);
        expect(b.distances).toEqual(a.distances);
      }
      if (round === 0) {
        // 5 queries x 40 candidates; queries near each other share some
        expect(cache.hits + cache.misses).toBe(200);
        firstRoundHits = cache.hits;
      }
    }
    // 400 rows hold every candidate of the first round: the second one only hits
    expect(cache.hits).toBe(firstRoundHits + 200);
    expect(cached.memoryUsage().originals).toBe(cache.residentBytes());
  });
});
