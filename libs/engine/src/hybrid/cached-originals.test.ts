import { describe, expect, it } from "vitest";
import { isEngineError } from "../errors.js";
import { randomVectors, vectorOf } from "../test-support/reference.js";
import { CachedOriginals } from "./cached-originals.js";
import { InMemoryOriginals, type OriginalsSource } from "./originals-source.js";

const DIM = 12;
const data = randomVectors(5000, DIM, 41);

/** In-memory originals that count the reads reaching them. */
class CountingSource implements OriginalsSource {
  readonly inner = new InMemoryOriginals(DIM);
  reads = 0;
  readonly dim = DIM;
  read(id: number, out: Float32Array, offset: number): boolean {
    this.reads++;
    return this.inner.read(id, out, offset);
  }
  residentBytes(): number {
    return 0;
  }
}

function filled(n: number): CountingSource {
  const source = new CountingSource();
  for (let i = 0; i < n; i++) source.inner.set(i, vectorOf(data, DIM, i));
  return source;
}

function readRow(cache: CachedOriginals, id: number): Float32Array | undefined {
  const out = new Float32Array(DIM + 3);
  return cache.read(id, out, 3) ? out.slice(3) : undefined;
}

describe("CachedOriginals", () => {
  it("counts a miss then hits, and serves what the source holds", () => {
    const source = filled(100);
    const cache = new CachedOriginals(source, 10);
    expect(readRow(cache, 7)).toEqual(vectorOf(data, DIM, 7));
    expect(readRow(cache, 7)).toEqual(vectorOf(data, DIM, 7));
    expect(readRow(cache, 7)).toEqual(vectorOf(data, DIM, 7));
    expect([cache.hits, cache.misses, source.reads, cache.rows]).toEqual([2, 1, 1, 1]);
  });

  it("answers false for an id the source lacks, and caches nothing for it", () => {
    const source = filled(10);
    const cache = new CachedOriginals(source, 4);
    expect(readRow(cache, 50)).toBeUndefined();
    expect(readRow(cache, 50)).toBeUndefined();
    expect([cache.hits, cache.misses, cache.rows, source.reads]).toEqual([0, 2, 0, 2]);
  });

  it("evicts the least recently used row", () => {
    const source = filled(100);
    const cache = new CachedOriginals(source, 3);
    for (const id of [1, 2, 3]) readRow(cache, id);
    readRow(cache, 1); // 1 is now the most recent: 2 is the least
    readRow(cache, 4); // evicts 2
    expect([1, 2, 3, 4].map((id) => cache.has(id))).toEqual([true, false, true, true]);
    readRow(cache, 5); // evicts 3
    expect([1, 3, 4, 5].map((id) => cache.has(id))).toEqual([true, false, true, true]);
    expect(cache.rows).toBe(3);
    const before = source.reads;
    expect(readRow(cache, 2)).toEqual(vectorOf(data, DIM, 2));
    expect(source.reads).toBe(before + 1);
  });

  it("never serves a row after its id is invalidated", () => {
    const source = filled(20);
    const cache = new CachedOriginals(source, 8);
    readRow(cache, 5);
    source.inner.set(5, vectorOf(data, DIM, 999));
    cache.invalidate(5);
    expect(cache.has(5)).toBe(false);
    expect(readRow(cache, 5)).toEqual(vectorOf(data, DIM, 999));
    source.inner.delete(5);
    cache.invalidate(5);
    expect(readRow(cache, 5)).toBeUndefined();
    cache.invalidate(12345); // never seen: nothing to do
    // freed slots are reused before anything is evicted
    for (let id = 0; id < 8; id++) readRow(cache, id === 5 ? 19 : id);
    expect(cache.rows).toBe(8);
    for (let id = 0; id < 8; id++) expect(cache.has(id === 5 ? 19 : id)).toBe(true);
  });

  it("agrees with its source and with a reference LRU under reads, rewrites and deletes", () => {
    const source = filled(600);
    const cache = new CachedOriginals(source, 64);
    // the reference: a Map in recency order (first = least recent)
    const lru = new Map<number, true>();
    let expectedHits = 0;
    let seed = 7;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let step = 0; step < 20_000; step++) {
      // a skewed choice: most reads fall on the first 50 ids
      const id = rand(4) === 0 ? rand(700) : rand(50);
      const op = rand(40);
      if (op === 0) {
        source.inner.set(id, vectorOf(data, DIM, 1000 + rand(3000)));
        cache.invalidate(id);
        lru.delete(id);
      } else if (op === 1) {
        source.inner.delete(id);
        cache.invalidate(id);
        lru.delete(id);
      } else {
        const want = new Float32Array(DIM);
        const present = source.inner.read(id, want, 0);
        expect(readRow(cache, id)).toEqual(present ? want : undefined);
        if (lru.delete(id)) expectedHits++;
        if (present) lru.set(id, true);
        if (lru.size > 64) lru.delete(lru.keys().next().value as number);
      }
      expect(cache.rows).toBeLessThanOrEqual(64);
    }
    expect(cache.hits).toBe(expectedHits);
    expect(cache.hits).toBeGreaterThan(5000);
    expect(cache.rows).toBe(lru.size);
  });

  it("reports its capacity and the bytes it holds, growing the slab as it fills", () => {
    const source = filled(5000);
    const cache = new CachedOriginals(source, 3000);
    const rowBytes = DIM * 4;
    for (let id = 0; id < 2000; id++) readRow(cache, id);
    const stats = cache.stats();
    expect(stats.capacityBytes).toBe(3000 * rowBytes);
    expect(stats.rows).toBe(2000);
    // the slab as allocated (doubled up to 2048 rows), plus 5 int32 arrays of bookkeeping per
    // slot or id
    expect(stats.residentBytes).toBeGreaterThanOrEqual(2000 * rowBytes);
    expect(stats.residentBytes).toBeLessThanOrEqual(2048 * rowBytes + 5 * 2048 * 4);
    for (let id = 2000; id < 5000; id++) readRow(cache, id);
    expect(cache.rows).toBe(3000);
    // the id lookup doubles: at most 2 int32 per id seen
    expect(cache.residentBytes()).toBeLessThanOrEqual(
      3000 * rowBytes + 4 * 3000 * 4 + 2 * 5000 * 4,
    );
    for (let id = 2000; id < 5000; id++)
      expect(readRow(cache, id)).toEqual(vectorOf(data, DIM, id));
  });

  it("passes every read through at capacity 0 and rejects a negative one", () => {
    const source = filled(10);
    const cache = new CachedOriginals(source, 0);
    expect(readRow(cache, 3)).toEqual(vectorOf(data, DIM, 3));
    expect(readRow(cache, 3)).toEqual(vectorOf(data, DIM, 3));
    expect([source.reads, cache.hits, cache.misses, cache.rows]).toEqual([2, 0, 2, 0]);
    expect(cache.residentBytes()).toBe(0);
    let error: unknown;
    try {
      new CachedOriginals(source, -1);
    } catch (e) {
      error = e;
    }
    expect(isEngineError(error)).toBe(true);
  });
});
