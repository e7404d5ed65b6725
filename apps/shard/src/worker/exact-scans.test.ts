import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KernelWorkspace, Rng } from "@quiver/engine";
import { PartitionStore } from "@quiver/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { oversizedLibrary } from "../test-support/oversized-library.js";
import { ExactScans, scanOriginals } from "./exact-scans.js";

const DIM = 12;
const N = 500;

describe("ExactScans", () => {
  let dir: string;
  let store: PartitionStore;
  const rng = new Rng(3);
  const rows = Float32Array.from({ length: N * DIM }, () => rng.next() * 2 - 1);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "quiver-scans-"));
    store = PartitionStore.open({ path: join(dir, "store") });
    store.apply(0, 1, (tx) => {
      const { type: _type, ...record } = oversizedLibrary("lib");
      tx.putLibrary({ ...record, dimension: DIM, metric: "cosine" });
      for (let i = 0; i < N; i++)
        tx.upsertVector("lib", `v${i}`, rows.subarray(i * DIM, (i + 1) * DIM), null);
    });
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers in its thread what the scan answers here, skipping ids the store lacks", async () => {
    const queries = Float32Array.from({ length: 3 * DIM }, () => rng.next() - 0.5);
    // every internal id and one that was never written
    const ids = Uint32Array.from({ length: N + 1 }, (_, i) => i);
    const input = {
      partition: 0,
      libraryId: "lib",
      dim: DIM,
      metric: "cosine" as const,
      k: 7,
      queries,
    };
    const here = scanOriginals(store, { ...input, ids: ids.slice() }, new KernelWorkspace());
    const scans = new ExactScans(join(dir, "store"));
    try {
      const there = await scans.scan({ ...input, ids: ids.slice() });
      expect(there).toHaveLength(3);
      there.forEach((hits, q) => {
        expect(Array.from(hits.ids)).toEqual(Array.from(here.ids.subarray(q * 7, q * 7 + 7)));
        expect(Array.from(hits.distances)).toEqual(
          Array.from(here.distances.subarray(q * 7, q * 7 + 7)),
        );
      });
      // the nearest of query 0 by brute force, as the kernels order them (cosine distance)
      const q0 = queries.subarray(0, DIM);
      const best = Array.from({ length: N }, (_, i) => {
        const x = rows.subarray(i * DIM, (i + 1) * DIM);
        let dot = 0;
        let nx = 0;
        let nq = 0;
        for (let d = 0; d < DIM; d++) {
          dot += q0[d] * x[d];
          nx += x[d] * x[d];
          nq += q0[d] * q0[d];
        }
        return { i, d: 1 - dot / Math.sqrt(nx * nq) };
      }).sort((a, b) => a.d - b.d);
      expect(there[0].ids[0]).toBe(best[0].i);
      expect(there[0].distances[0]).toBeCloseTo(best[0].d, 5);
    } finally {
      scans.close();
    }
  });
});
