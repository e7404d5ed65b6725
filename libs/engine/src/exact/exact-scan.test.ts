import { describe, expect, it } from "vitest";
import { InMemoryOriginals } from "../hybrid/originals-source.js";
import { METRICS } from "../metric.js";
import { randomVectors, referenceDistance, vectorOf } from "../test-support/reference.js";
import { KernelWorkspace } from "../workspace/kernel-workspace.js";
import { ExactScan } from "./exact-scan.js";

/** Brute force in float64: every row's distance, sorted. */
function bruteForce(
  metric: (typeof METRICS)[number],
  base: Float32Array,
  dim: number,
  query: Float32Array,
  ids: number[],
  k: number,
): { id: number; d: number }[] {
  return ids
    .map((id) => ({ id, d: referenceDistance(metric, query, vectorOf(base, dim, id)) }))
    .sort((a, b) => a.d - b.d)
    .slice(0, k);
}

describe.each(METRICS)("ExactScan (%s)", (metric) => {
  describe.each([5, 64, 130])("dimension %i", (dim) => {
    const n = 1500;
    // unnormalised rows of varied lengths: cosine must not assume unit rows
    const base = randomVectors(n, dim, dim + 7, 3);
    const queries = randomVectors(7, dim, dim + 8, 2);

    it("equals brute force over rows given in chunks (ties aside)", () => {
      const scan = new ExactScan(queries, 7, { dim, metric, k: 25 });
      // in three calls of uneven sizes, with ids of their own
      const ids = Array.from({ length: n }, (_, i) => 10_000 + i);
      scan.scanRows(base.subarray(0, 100 * dim), 100, ids);
      scan.scanRows(base.subarray(100 * dim, 1001 * dim), 901, ids.slice(100));
      scan.scanRows(base.subarray(1001 * dim), n - 1001, ids.slice(1001));
      expect(scan.distanceCount).toBe(7 * n);
      const results = scan.results();
      for (let q = 0; q < 7; q++) {
        const want = bruteForce(
          metric,
          base,
          dim,
          vectorOf(queries, dim, q),
          [...Array(n).keys()],
          25,
        );
        const got = results[q];
        expect(got.ids.length).toBe(25);
        for (let i = 0; i < 25; i++) {
          expect(got.distances[i]).toBeCloseTo(want[i].d, 3);
          if (i > 0) expect(got.distances[i]).toBeGreaterThanOrEqual(got.distances[i - 1]);
        }
        // same ids where distances are not tied
        const gotIds = new Set(Array.from(got.ids, (id) => id - 10_000));
        const clear = want.filter((w, i) => i < 24 && want[i + 1].d - w.d > 1e-4);
        for (const w of clear) expect(gotIds.has(w.id)).toBe(true);
      }
    });

    it("reads a source, skipping ids it lacks, in a shared workspace", () => {
      const ws = new KernelWorkspace();
      const source = new InMemoryOriginals(dim);
      for (let i = 0; i < n; i++) if (i % 3 !== 0) source.set(i, vectorOf(base, dim, i));
      const ids = [...Array(n).keys()].filter((i) => i % 2 === 0);
      const scan = new ExactScan(queries, 7, { dim, metric, k: 10, workspace: ws });
      scan.scanSource(ids, ids.length, source);
      const results = scan.results();
      for (let q = 0; q < 7; q++) {
        const present = ids.filter((i) => i % 3 !== 0);
        const want = bruteForce(metric, base, dim, vectorOf(queries, dim, q), present, 10);
        expect(Array.from(results[q].distances)).toEqual(want.map((w) => expect.closeTo(w.d, 3)));
        for (const id of results[q].ids) expect(id % 6).not.toBe(0);
      }
      // the scan gave its memory back
      expect(ws.figures().regionBytes).toBe(0);
    });
  });
});

describe("ExactScan", () => {
  it("returns fewer than k when fewer rows exist", () => {
    const base = randomVectors(3, 4, 1);
    const scan = new ExactScan(randomVectors(2, 4, 2), 2, { dim: 4, metric: "l2", k: 10 });
    scan.scanRows(base, 3);
    for (const r of scan.results()) expect(r.ids.length).toBe(3);
  });
});
