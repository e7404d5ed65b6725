import { join } from "node:path";
import { CATALOG_PARTITION } from "@quiver/events";
import { type LmdbKv, LmdbLog } from "@quiver/log";
import { describe, expect, it } from "vitest";
import { CatalogSnapshotStore, SNAPSHOT_KEY } from "./catalog-snapshot.js";
import { catalogHistory, libraryCreated as created } from "./test-support/catalog-history.js";
import { expectSameAnswers, useCatalogFixture } from "./test-support/catalog-fixture.js";

describe("Catalog: snapshots", () => {
  const f = useCatalogFixture();

  it("starts from a snapshot and the tail into the state a full replay makes", async () => {
    const history = catalogHistory(7, 1200);
    for (const e of history.slice(0, 700)) await f.append(e);
    const { catalog: first, info: firstInfo } = await f.start();
    expect(firstInfo).toMatchObject({ snapshotSeq: 0, replayed: 700 });
    await f.stop(first); // a clean stop leaves a snapshot
    const snapshotSeq = first.appliedSeq;
    for (const e of history.slice(700)) await f.append(e);
    // an entry that is no event: skipped alike by both
    await f.log.append(CATALOG_PARTITION, new Uint8Array([1, 2, 3]), "garbage");

    const { catalog: resumed, info } = await f.start();
    expect(info).toMatchObject({ snapshotSeq, replayed: 501 });
    const other = f.freshKv("kv-full");
    const { catalog: full, info: fullInfo } = await f.start({}, other);
    expect(fullInfo).toMatchObject({ snapshotSeq: 0, replayed: 1201 });
    expect(resumed.appliedSeq).toBe(full.appliedSeq);
    expect(resumed.stateData()).toEqual(full.stateData());
    expectSameAnswers(resumed, full);
    expect(full.all().length).toBeGreaterThan(20);
    expect(full.activeMigrations().length).toBeGreaterThan(0);
    await f.stop(full);
  });

  it("writes snapshots while it follows, every N events, and on a timer", async () => {
    const history = catalogHistory(11, 400);
    const byCount = await f.start({ snapshotEveryEvents: 50, snapshotIntervalMs: 3_600_000 });
    const timerKv = f.freshKv("kv-timer");
    const byTimer = await f.start({ snapshotEveryEvents: 1e9, snapshotIntervalMs: 300 }, timerKv);
    const seqs = [];
    for (const e of history) seqs.push((await f.append(e)).seq);
    const snapshotSeq = (store: LmdbKv) => async () =>
      (await new CatalogSnapshotStore(store).load())?.seq ?? 0;
    // the 400th event is the 8th time 50 were applied since the last snapshot
    await expect.poll(snapshotSeq(f.kv)).toBe(seqs[399]);
    await f.append(history[0]);
    await f.append(history[1]);
    // two events more, fewer than 50: only the timer writes them
    await expect.poll(snapshotSeq(timerKv)).toBe(seqs[399] + 2);
    expect(await snapshotSeq(f.kv)()).toBe(seqs[399]);
    await f.stop(byCount.catalog);
    await f.stop(byTimer.catalog);
    const other = f.freshKv("kv-full");
    const { catalog: full } = await f.start({}, other);
    const { catalog: resumed, info } = await f.start();
    expect(info).toMatchObject({ snapshotSeq: seqs[399] + 2, replayed: 0 });
    expect(resumed.stateData()).toEqual(full.stateData());
    expectSameAnswers(resumed, full);
    await f.stop(full);
  });

  it("keeps a large catalog's snapshot in parts and replaces the previous one", async () => {
    // appended together: the order of creations does not matter here
    await Promise.all(
      Array.from({ length: 2500 }, (_, i) => f.append(created(`lib_big_${i}_${"x".repeat(100)}`))),
    );
    const { catalog } = await f.start();
    await f.stop(catalog);
    const parts = (await f.kv.list(`${SNAPSHOT_KEY}.`)).map((e) => e.key);
    expect(parts.length).toBeGreaterThan(1);
    await f.append({ type: "library.deleted", libraryId: `lib_big_0_${"x".repeat(100)}` });
    const { catalog: again, info } = await f.start();
    expect(info).toMatchObject({ replayed: 1, libraries: 2499 });
    await f.stop(again);
    const now = (await f.kv.list(`${SNAPSHOT_KEY}.`)).map((e) => e.key);
    expect(now.length).toBe(parts.length);
    expect(now.some((k) => parts.includes(k))).toBe(false); // the old parts are gone
  });

  it("replays the whole catalog when the snapshot is not of this log", async () => {
    for (const e of catalogHistory(3, 100)) await f.append(e);
    const { catalog } = await f.start();
    await f.stop(catalog);
    // a new log (another data directory's) with the same KV store: the snapshot is ahead of it
    await f.log.close();
    f.log = LmdbLog.open({ path: join(f.dir, "log-2") });
    for (const e of catalogHistory(4, 30)) await f.append(e);
    const { catalog: fresh, info } = await f.start();
    expect(info).toMatchObject({ snapshotSeq: 0, replayed: 30 });
    const other = f.freshKv("kv-full");
    const { catalog: full } = await f.start({}, other);
    expect(fresh.stateData()).toEqual(full.stateData());
    await f.stop(fresh); // its snapshot replaces the other log's
    const { info: next } = await f.start();
    expect(next).toMatchObject({ snapshotSeq: fresh.appliedSeq, replayed: 0 });
    await f.stop(full);
  });
});
