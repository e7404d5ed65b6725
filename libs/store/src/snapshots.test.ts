import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PartitionStore } from "./partition-store.js";
import { lib, v } from "./test-support/library.js";
import { openStoreDbs } from "./store-dbs.js";

const same = (a: Uint8Array | undefined, b: Uint8Array) =>
  a !== undefined && a.length === b.length && Buffer.compare(a, b) === 0;

describe("PartitionStore snapshots", () => {
  let dir: string;
  let store: PartitionStore;
  const files = (partition = 0) => {
    const at = join(dir, "snapshots", String(partition));
    return existsSync(at) ? readdirSync(at).sort() : [];
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "quiver-store-"));
    store = PartitionStore.open({ path: dir });
    store.apply(0, 1, (tx) => {
      tx.putLibrary(lib);
      tx.upsertVector("lib_a", "x", v(1, 2, 3), null);
    });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes a snapshot to a file of its own, forgets the dirty ids it covers and replaces the last one", () => {
    const bytes = new Uint8Array(40 * 1024 * 1024 + 123).map((_, i) => i % 251);
    expect(store.dirtyIds(0, "lib_a")).toEqual([0]);
    expect(store.hasDirtyIds(0, "lib_a")).toBe(true);
    const info = store.writeSnapshot(0, "lib_a", bytes);
    expect(info).toMatchObject({ seq: 1, bytes: bytes.length, file: true, generation: 1 });
    expect(store.dirtyIds(0, "lib_a")).toEqual([]);
    expect(store.hasDirtyIds(0, "lib_a")).toBe(false);
    expect(same(store.readSnapshot(0, "lib_a"), bytes)).toBe(true);
    expect(files()).toEqual(["lib_a.1.snap"]);
    store.writeSnapshot(0, "lib_a", bytes.subarray(0, 10));
    expect(store.readSnapshot(0, "lib_a")).toEqual(bytes.subarray(0, 10));
    expect(files()).toEqual(["lib_a.2.snap"]);
  });

  it("writes a snapshot beside the latest one, which serves until the commit, and sweeps a write a crash left", async () => {
    const first = new Uint8Array(3 * 1024 * 1024).map((_, i) => i % 13);
    store.writeSnapshot(0, "lib_a", first);
    store.apply(0, 2, (tx) => tx.upsertVector("lib_a", "y", v(4, 5, 6), null));
    // a write torn by a crash: bytes written, never committed
    const torn = store.snapshotWriter(0, "lib_a");
    torn.write(new Uint8Array(17 * 1024).fill(7));
    await store.close();
    store = PartitionStore.open({ path: dir });
    expect(same(store.readSnapshot(0, "lib_a"), first)).toBe(true);
    expect(store.dirtyIds(0, "lib_a")).toEqual([1]);
    expect(files()).toEqual(["lib_a.1.snap", "lib_a.2.snap"]);
    // the next writer replaces the torn file; until its commit the first snapshot serves
    const next = store.snapshotWriter(0, "lib_a");
    expect(next.generation).toBe(torn.generation);
    const second = new Uint8Array(3 * 1024).fill(5);
    next.write(second.subarray(0, 1024));
    next.write(second.subarray(1024));
    expect(store.snapshotInfo(0, "lib_a")?.seq).toBe(1);
    expect(same(store.readSnapshot(0, "lib_a"), first)).toBe(true);
    const info = store.commitSnapshot(next);
    expect(info).toMatchObject({ seq: 2, bytes: second.length });
    expect(store.dirtyIds(0, "lib_a")).toEqual([]);
    expect(same(store.readSnapshot(0, "lib_a"), second)).toBe(true);
    expect(() => store.commitSnapshot(next)).toThrow(/already committed/);
    expect(files()).toEqual(["lib_a.2.snap"]);
    // a write given up, and a stray file: the sweep keeps only the latest snapshot
    store.snapshotWriter(0, "lib_a").write(new Uint8Array(9));
    writeFileSync(join(dir, "snapshots", "0", "lib_zz.1.snap"), "x");
    const abandoned = store.snapshotWriter(0, "lib_a");
    abandoned.write(new Uint8Array(9));
    abandoned.abandon();
    expect(files()).toEqual(["lib_a.2.snap", "lib_zz.1.snap"]);
    store.snapshotWriter(0, "lib_a").write(new Uint8Array(9));
    expect(files()).toEqual(["lib_a.2.snap", "lib_a.3.snap", "lib_zz.1.snap"]);
    expect(store.sweepSnapshotFiles(0)).toBe(2);
    expect(files()).toEqual(["lib_a.2.snap"]);
    expect(same(store.readSnapshot(0, "lib_a"), second)).toBe(true);
  });

  it("reads a file torn or cut short as no snapshot", () => {
    const bytes = new Uint8Array(64 * 1024).map((_, i) => i % 7);
    store.writeSnapshot(0, "lib_a", bytes);
    const path = join(dir, "snapshots", "0", "lib_a.1.snap");
    const flipped = bytes.slice();
    flipped[40_000] ^= 1;
    writeFileSync(path, flipped);
    expect(store.readSnapshot(0, "lib_a")).toBeUndefined();
    writeFileSync(path, bytes.subarray(0, 1000));
    expect(store.readSnapshot(0, "lib_a")).toBeUndefined();
    rmSync(path);
    expect(store.readSnapshot(0, "lib_a")).toBeUndefined();
  });

  it("names the file of an id that is not a plain name by its bytes, inside the partition's folder", () => {
    store.apply(3, 1, (tx) => tx.putLibrary({ ...lib, libraryId: "../a b" }));
    store.writeSnapshot(3, "../a b", new Uint8Array([1, 2, 3]));
    expect(files(3)).toEqual([`~${Buffer.from("../a b").toString("hex")}.1.snap`]);
    expect(store.readSnapshot(3, "../a b")).toEqual(new Uint8Array([1, 2, 3]));
  });

  it("removes a deleted library's snapshot files once the deletion committed", () => {
    store.apply(0, 2, (tx) => tx.putLibrary({ ...lib, libraryId: "lib_b" }));
    store.writeSnapshot(0, "lib_a", new Uint8Array([9, 9]));
    store.writeSnapshot(0, "lib_b", new Uint8Array([8]));
    store.snapshotWriter(0, "lib_a").write(new Uint8Array([1]));
    expect(files()).toEqual(["lib_a.1.snap", "lib_a.2.snap", "lib_b.1.snap"]);
    // a failed deletion (out of order) removes nothing
    expect(() => store.apply(0, 2, (tx) => tx.deleteLibrary("lib_a"))).toThrow(/applied/);
    expect(files()).toHaveLength(3);
    store.apply(0, 3, (tx) => tx.deleteLibrary("lib_a"));
    expect(store.readSnapshot(0, "lib_a")).toBeUndefined();
    expect(files()).toEqual(["lib_b.1.snap"]);
    expect(store.readSnapshot(0, "lib_b")).toEqual(new Uint8Array([8]));
  });

  it("reads a snapshot an older store kept in LMDB chunks, and moves it to a file at the next one", async () => {
    await store.close();
    const legacy = new Uint8Array(10_000).map((_, i) => i % 199);
    const { env, db } = openStoreDbs(dir, 2 ** 30);
    await env.transaction(() => {
      db.snapshotChunks.put([0, "lib_a", 4, 0], legacy.subarray(0, 6000));
      db.snapshotChunks.put([0, "lib_a", 4, 1], legacy.subarray(6000));
      db.snapshotInfos.put([0, "lib_a"], {
        seq: 1,
        bytes: legacy.length,
        chunks: 2,
        atMs: 1,
        generation: 4,
      });
    });
    await env.close();
    store = PartitionStore.open({ path: dir });
    expect(same(store.readSnapshot(0, "lib_a"), legacy)).toBe(true);
    expect(store.sweepSnapshotFiles(0)).toBe(0);
    store.writeSnapshot(0, "lib_a", new Uint8Array([5]));
    expect(store.snapshotInfo(0, "lib_a")).toMatchObject({ generation: 5, file: true, chunks: 0 });
    expect(store.readSnapshot(0, "lib_a")).toEqual(new Uint8Array([5]));
    expect(files()).toEqual(["lib_a.5.snap"]);
    await store.close();
    const reopened = openStoreDbs(dir, 2 ** 30);
    expect([...reopened.db.snapshotChunks.getKeys({})]).toEqual([]);
    await reopened.env.close();
    store = PartitionStore.open({ path: dir });
  });
});
