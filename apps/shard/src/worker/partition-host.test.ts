import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KernelWorkspace, Rng } from "@quiver/engine";
import { encodeEvent, type QuiverEvent } from "@quiver/events";
import { LmdbLog } from "@quiver/log";
import { PartitionStore } from "@quiver/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  oversizedLibrary,
  oversizedUpsert,
  SMALL_WORKSPACE_BYTES,
} from "../test-support/oversized-library.js";
import { PartitionHost } from "./partition-host.js";

const P = 2;
const DIM = 4;

describe("PartitionHost, a library that cannot be built", () => {
  let dir: string;
  let log: LmdbLog;
  let store: PartitionStore;
  let host: PartitionHost;
  let n = 0;
  const append = (event: QuiverEvent) => log.append(P, encodeEvent(event), `m${n++}`);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "quiver-host-"));
    log = LmdbLog.open({ path: join(dir, "log") });
    store = PartitionStore.open({ path: join(dir, "store") });
  });
  afterEach(async () => {
    await host.close();
    await log.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers its searches and statistics with the reason, in its partition only; the partition serves the others", async () => {
    await append({
      ...oversizedLibrary("small"),
      dimension: DIM,
      indexType: "hnsw",
    });
    await append(oversizedLibrary("big"));
    await append({
      type: "vectors.upserted",
      libraryId: "small",
      ids: ["a", "b"],
      dimension: DIM,
      vectors: Float32Array.from([0, 0, 0, 0, 1, 1, 1, 1]),
      metadata: [null, null],
    });
    await append(oversizedUpsert("big", 0, 700));
    const { seq: last } = await append({
      type: "vectors.upserted",
      libraryId: "small",
      ids: ["c"],
      dimension: DIM,
      vectors: Float32Array.from([2, 2, 2, 2]),
      metadata: [null],
    });
    host = new PartitionHost({
      store,
      log,
      workspace: new KernelWorkspace({ memoryLimitBytes: SMALL_WORKSPACE_BYTES }),
    });
    await host.host(P);
    expect(await host.waitApplied({ [P]: last }, 10_000)).toEqual({ [P]: last });
    expect(host.status()).toEqual([{ partition: P, state: "serving", appliedSeq: last }]);
    const search = (libraryId: string, dimension: number) =>
      host.search({
        libraryId,
        partitions: [P],
        queries: new Float32Array(dimension).fill(2),
        dimension,
        k: 2,
        includeMetadata: false,
        includeVectors: false,
        timeoutMs: 5_000,
      });
    const failed = (await search("big", 512)).results[0];
    expect(failed.hits).toBeUndefined();
    expect(failed.error?.code).toBe("LIBRARY_FAILED");
    expect(failed.error?.message).toMatch(
      new RegExp(`library big cannot be served in partition ${P}: .*at most \\d+ bytes`),
    );
    const [stats] = host.libraryStats("big", [P]);
    expect(stats.error).toMatch(/at most \d+ bytes/);
    expect(stats.vectors).toBe(0);
    // the other library of the partition is served, whole
    const ok = (await search("small", DIM)).results[0];
    expect(ok.hits?.[0].map((h) => h.id)).toEqual(["c", "b"]);
    expect(host.libraryStats("small", [P])[0].error).toBeUndefined();
  });
});

describe.each([
  ["on the partition thread, in slices", false],
  ["in the scan thread", true],
])("PartitionHost, a long search (exact scans %s)", (_, scanThread) => {
  const LONG_DIM = 64;
  const ROWS = 8000;
  let dir: string;
  let log: LmdbLog;
  let store: PartitionStore;
  let host: PartitionHost;
  const rng = new Rng(11);
  const rows = Float32Array.from({ length: ROWS * LONG_DIM }, () => rng.next() * 2 - 1);
  const queries = (n: number) => Float32Array.from({ length: n * LONG_DIM }, () => rng.next());

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "quiver-host-"));
    log = LmdbLog.open({ path: join(dir, "log") });
    store = PartitionStore.open({ path: join(dir, "store") });
    let seq = 0;
    const append = (event: QuiverEvent) => log.append(P, encodeEvent(event), `m${seq++}`);
    await append({ ...oversizedLibrary("lib"), dimension: LONG_DIM });
    let last = 0;
    for (let from = 0; from < ROWS; from += 1000) {
      ({ seq: last } = await append({
        type: "vectors.upserted",
        libraryId: "lib",
        ids: Array.from({ length: 1000 }, (_, i) => `v${from + i}`),
        dimension: LONG_DIM,
        vectors: rows.subarray(from * LONG_DIM, (from + 1000) * LONG_DIM),
        metadata: Array.from({ length: 1000 }, () => null),
      }));
    }
    host = new PartitionHost({
      store,
      log,
      ...(scanThread ? { storePath: join(dir, "store") } : {}),
    });
    await host.host(P);
    await host.waitApplied({ [P]: last }, 30_000);
  });
  afterEach(async () => {
    await host.close();
    await log.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const request = (q: Float32Array, exact: boolean) => ({
    libraryId: "lib",
    partitions: [P],
    queries: q,
    dimension: LONG_DIM,
    k: 5,
    exact,
    includeMetadata: false,
    includeVectors: false,
    timeoutMs: 30_000,
  });

  it.each([
    ["an exact scan of 300 queries", true],
    ["a batch of 500 queries", false],
  ])(
    "answers a one-query search sent during %s first, and the long one whole",
    async (_, exact) => {
      const many = queries(exact ? 300 : 500);
      const done: string[] = [];
      const long = host.search(request(many, exact)).then((r) => (done.push("long"), r));
      const short = host.search(request(queries(1), false)).then((r) => (done.push("short"), r));
      const [longAnswer, shortAnswer] = await Promise.all([long, short]);
      expect(done).toEqual(["short", "long"]);
      expect(shortAnswer.results[0].hits?.[0]).toHaveLength(5);
      // the long search, given way between its pieces, is still exact: every query's true top 5
      const hits = longAnswer.results[0].hits!;
      expect(hits).toHaveLength(many.length / LONG_DIM);
      for (const q of [0, 137, many.length / LONG_DIM - 1]) {
        const query = many.subarray(q * LONG_DIM, (q + 1) * LONG_DIM);
        const truth = Array.from({ length: ROWS }, (_, i) => {
          let d = 0;
          for (let j = 0; j < LONG_DIM; j++) d += (query[j] - rows[i * LONG_DIM + j]) ** 2;
          return { id: `v${i}`, d };
        }).sort((a, b) => a.d - b.d);
        expect(hits[q].map((h) => h.id)).toEqual(truth.slice(0, 5).map((t) => t.id));
      }
    },
  );
});
