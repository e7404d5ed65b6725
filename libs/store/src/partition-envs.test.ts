import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PartitionStore } from "./partition-store.js";
import { APPLY_FLAGS, openStoreDbs } from "./store-dbs.js";
import { lib, v } from "./test-support/library.js";

describe("PartitionStore's environments", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "quiver-store-envs-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps each partition in an environment of its own, and reads it back after a restart", async () => {
    let store = PartitionStore.open({ path: dir });
    for (const partition of [0, 3]) {
      store.apply(partition, 1, (tx) => tx.putLibrary(lib));
      store.apply(partition, 2, (tx) =>
        tx.upsertVector("lib_a", `x${partition}`, v(partition, 1, 2), null),
      );
    }
    await store.close();
    expect(readdirSync(join(dir, "partitions")).sort()).toEqual(["0", "3"]);
    expect(existsSync(join(dir, "data.mdb"))).toBe(false);

    store = PartitionStore.open({ path: dir });
    expect(store.appliedSeq(0)).toBe(2);
    expect(store.appliedSeq(3)).toBe(2);
    expect(Array.from(store.original(3, "lib_a", 0) ?? [])).toEqual([3, 1, 2]);
    expect(store.internalId(0, "lib_a", "x3")).toBeUndefined();
    await store.close();
  });

  it("opens a store written with one environment for every partition as it is, and writes on in it", async () => {
    // the layout of earlier builds: the shard's environment at the store's root
    const { env, db } = openStoreDbs(dir, 2 ** 30);
    env.transactionSync(() => {
      db.applied.putSync(1, 5);
      db.libs.putSync([1, lib.libraryId], lib);
    }, APPLY_FLAGS);
    await env.close();

    const store = PartitionStore.open({ path: dir });
    expect(store.appliedSeq(1)).toBe(5);
    expect(store.library(1, "lib_a")).toEqual(lib);
    store.apply(2, 1, (tx) => tx.putLibrary(lib));
    expect(store.appliedSeq(2)).toBe(1);
    await store.close();
    expect(existsSync(join(dir, "partitions"))).toBe(false);
  });
});
