import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KernelWorkspace } from "@quiver/engine";
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
