import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isStoreError, StoreErrorCode } from "./errors.js";
import { PartitionStore } from "./partition-store.js";
import { lib, v } from "./test-support/library.js";

describe("PartitionStore", () => {
  let dir: string;
  let store: PartitionStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "quiver-store-"));
    store = PartitionStore.open({ path: dir });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads a library's originals a chunk at a time, in id order, as originalRows does at once", () => {
    store.apply(1, 1, (tx) => tx.putLibrary(lib));
    store.apply(1, 2, (tx) =>
      Array.from({ length: 10 }, (_, i) => tx.upsertVector("lib_a", `v${i}`, v(i, i, i), null)),
    );
    store.apply(1, 3, (tx) => tx.deleteVector("lib_a", "v4"));
    const all = store.originalRows(1, "lib_a", 3);
    const ids = new Int32Array(16);
    const values = new Float32Array(16 * 3);
    let n = 0;
    let fromId = 0;
    const chunks: number[] = [];
    for (;;) {
      const read = store.readOriginals(1, "lib_a", 3, fromId, ids, values, n, 4);
      chunks.push(read);
      n += read;
      if (read < 4) break;
      fromId = ids[n - 1] + 1;
    }
    expect(chunks).toEqual([4, 4, 1]);
    expect(Array.from(ids.subarray(0, n))).toEqual(Array.from(all.ids));
    expect(Array.from(ids.subarray(0, n))).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9]);
    expect(Array.from(values.subarray(0, n * 3))).toEqual(Array.from(all.values));
  });

  it("stores vectors under dense internal ids with their metadata, and the applied sequence", () => {
    store.apply(2, 10, (tx) => tx.putLibrary(lib));
    const created = store.apply(2, 11, (tx) => [
      tx.upsertVector("lib_a", "x", v(1, 2, 3), { genre: "news" }),
      tx.upsertVector("lib_a", "y", v(4, 5, 6), null),
    ]);
    expect(created).toEqual([
      { internalId: 0, created: true },
      { internalId: 1, created: true },
    ]);
    expect(store.appliedSeq(2)).toBe(11);
    expect(store.appliedSeq(3)).toBe(0);
    expect(store.library(2, "lib_a")).toEqual(lib);
    expect(store.libraries(2).map((l) => l.libraryId)).toEqual(["lib_a"]);
    expect(store.libraries(3)).toEqual([]);
    expect(store.count(2, "lib_a")).toBe(2);
    expect(store.internalId(2, "lib_a", "y")).toBe(1);
    expect(store.vectorId(2, "lib_a", 1)).toBe("y");
    expect(Array.from(store.original(2, "lib_a", 0) ?? [])).toEqual([1, 2, 3]);
    const out = new Float32Array(8);
    expect(store.readOriginal(2, "lib_a", 1, out, 4)).toBe(true);
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 4, 5, 6, 0]);
    expect(store.readOriginal(2, "lib_a", 9, out, 0)).toBe(false);
    expect(store.metadata(2, "lib_a", 0)).toEqual({ genre: "news" });
    expect(store.metadata(2, "lib_a", 1)).toBeNull();
    // overwrite keeps the internal id
    expect(store.apply(2, 12, (tx) => tx.upsertVector("lib_a", "x", v(7, 8, 9), null))).toEqual({
      internalId: 0,
      created: false,
    });
    expect(
      [...store.vectors(2, "lib_a")].map((s) => [s.internalId, s.vectorId, Array.from(s.vector)]),
    ).toEqual([
      [0, "x", [7, 8, 9]],
      [1, "y", [4, 5, 6]],
    ]);
    expect(store.dirtyIds(2, "lib_a")).toEqual([0, 1]);
  });

  it("reuses the smallest freed internal id", () => {
    store.apply(0, 1, (tx) => {
      tx.putLibrary(lib);
      for (const id of ["a", "b", "c", "d"]) tx.upsertVector("lib_a", id, v(1, 1, 1), null);
    });
    expect(
      store.apply(0, 2, (tx) => [
        tx.deleteVector("lib_a", "c"),
        tx.deleteVector("lib_a", "b"),
        tx.deleteVector("lib_a", "zz"),
      ]),
    ).toEqual([2, 1, undefined]);
    expect(store.count(0, "lib_a")).toBe(2);
    expect(store.original(0, "lib_a", 1)).toBeUndefined();
    expect(
      store.apply(0, 3, (tx) => tx.upsertVector("lib_a", "e", v(2, 2, 2), null).internalId),
    ).toBe(1);
    expect(
      store.apply(0, 4, (tx) => tx.upsertVector("lib_a", "f", v(2, 2, 2), null).internalId),
    ).toBe(2);
    expect(
      store.apply(0, 5, (tx) => tx.upsertVector("lib_a", "g", v(2, 2, 2), null).internalId),
    ).toBe(4);
    expect(store.idBound(0, "lib_a")).toBe(5);
  });

  it("refuses an event at or below the applied sequence, and writes nothing of a failed one", () => {
    store.apply(1, 5, (tx) => tx.putLibrary(lib));
    try {
      store.apply(1, 5, (tx) => tx.upsertVector("lib_a", "x", v(1, 2, 3), null));
      throw new Error("applied twice");
    } catch (error) {
      expect(isStoreError(error, StoreErrorCode.OutOfOrder)).toBe(true);
    }
    expect(() =>
      store.apply(1, 6, (tx) => {
        tx.upsertVector("lib_a", "x", v(1, 2, 3), null);
        throw new Error("applier bug");
      }),
    ).toThrow("applier bug");
    expect(store.appliedSeq(1)).toBe(5);
    expect(store.internalId(1, "lib_a", "x")).toBeUndefined();
    expect(store.count(1, "lib_a")).toBe(0);
  });

  it("deletes a library and everything it stored in the partition, and keeps others", () => {
    store.apply(0, 1, (tx) => {
      tx.putLibrary(lib);
      tx.putLibrary({ ...lib, libraryId: "lib_b" });
      tx.upsertVector("lib_a", "x", v(1, 2, 3), { k: 1 });
      tx.upsertVector("lib_b", "x", v(3, 2, 1), null);
      tx.putQuantizer("lib_a", new Uint8Array([1, 2]));
    });
    store.writeSnapshot(0, "lib_a", new Uint8Array([9, 9]));
    store.apply(0, 2, (tx) => tx.deleteLibrary("lib_a"));
    expect(store.library(0, "lib_a")).toBeUndefined();
    expect(store.internalId(0, "lib_a", "x")).toBeUndefined();
    expect(store.original(0, "lib_a", 0)).toBeUndefined();
    expect(store.quantizer(0, "lib_a")).toBeUndefined();
    expect(store.readSnapshot(0, "lib_a")).toBeUndefined();
    expect(store.count(0, "lib_a")).toBe(0);
    expect(Array.from(store.original(0, "lib_b", 0) ?? [])).toEqual([3, 2, 1]);
  });

  it("records dead letters with their reason and bytes, and keeps everything across a reopen", async () => {
    store.apply(4, 7, (tx) =>
      tx.deadLetter({
        seq: 7,
        msgId: "m7",
        code: "MALFORMED_EVENT",
        reason: "not msgpack",
        data: new Uint8Array([0xc1]),
      }),
    );
    store.apply(4, 8, (tx) => tx.putLibrary(lib));
    await store.close();
    store = PartitionStore.open({ path: dir });
    expect(store.appliedSeq(4)).toBe(8);
    const [letter] = store.deadLetters(4);
    expect(letter).toMatchObject({
      partition: 4,
      seq: 7,
      msgId: "m7",
      code: "MALFORMED_EVENT",
      reason: "not msgpack",
    });
    expect(Array.from(letter.data)).toEqual([0xc1]);
    expect(store.library(4, "lib_a")?.name).toBe("a");
  });
});
