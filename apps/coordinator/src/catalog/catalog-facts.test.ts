import { join } from "node:path";
import { CATALOG_PARTITION } from "@quiver/events";
import { BenchmarkJobStore, newJobRecord } from "@quiver/cluster";
import { LmdbKv } from "@quiver/log";
import { describe, expect, it } from "vitest";
import { decisionKey, progressKey, recallKey } from "./fact-codec.js";
import { CatalogSnapshotStore } from "./catalog-snapshot.js";
import {
  libraryCreated as created,
  policyDecision,
  recallMeasured as measured,
} from "./test-support/catalog-history.js";
import { useCatalogFixture } from "./test-support/catalog-fixture.js";
import { RefusingKv } from "./test-support/refusing-kv.js";

describe("Catalog: library facts in KV", () => {
  const f = useCatalogFixture();
  const keys = async () => (await f.kv.list("lib.")).map((e) => e.key);

  it("keeps recall, decision and progress facts in KV, shared between coordinators, through a restart", async () => {
    await f.append(created("a"));
    await f.append(created("b"));
    const { catalog: first } = await f.start();
    const { catalog: second } = await f.start();
    await first.facts.putRecall(measured("a", 2000, 0.8));
    await first.facts.putRecall(measured("a", 1000, 0.5)); // older, written late: not the latest
    await second.facts.putDecision(policyDecision("b", 3000));
    await first.facts.putProgress({
      libraryId: "a",
      migrationId: "mig_1",
      progress: 0.4,
      atMs: 5,
    });
    await second.facts.putProgress({
      libraryId: "a",
      migrationId: "mig_1",
      progress: 0.2, // less than shown already: what callers see only grows
      atMs: 6,
    });
    // the writer sees its own at once, the other coordinator through its watch
    expect(first.recall("a")?.recallAt10).toBe(0.8);
    await expect.poll(() => second.recall("a")?.recallAt10).toBe(0.8);
    await expect.poll(() => first.lastDecision("b")?.reason).toBe("decided at 3000");
    await expect.poll(() => second.facts.progress("mig_1")?.progress).toBe(0.4);
    expect(first.facts.progress("mig_1")?.progress).toBe(0.4);
    expect(first.allRecalls().map((r) => r.libraryId)).toEqual(["a"]);
    // in KV under the documented keys, not in the catalog partition
    expect((await f.kv.list("lib.")).map((e) => e.key)).toEqual([
      progressKey("a", "mig_1"),
      recallKey("a"),
      decisionKey("b"),
    ]);
    expect((await f.log.read(CATALOG_PARTITION, 1, 100)).length).toBe(2);
    await f.stop(first);
    await f.stop(second);

    await f.kv.close();
    f.kv = LmdbKv.open({ path: join(f.dir, "kv") }); // the process restarted
    const { catalog: restarted, info } = await f.start();
    expect(info.facts).toBe(3);
    expect(restarted.recall("a")).toEqual(measured("a", 2000, 0.8));
    expect(restarted.lastDecision("b")).toEqual(policyDecision("b", 3000));
    expect(restarted.facts.progress("mig_1")?.progress).toBe(0.4);
  });

  it("forgets a deleted library's facts, in every view and in KV", async () => {
    await f.append(created("a"));
    await f.append(created("b"));
    const { catalog } = await f.start();
    const { catalog: other } = await f.start();
    await catalog.facts.putRecall(measured("a", 1000, 0.7));
    await catalog.facts.putDecision(policyDecision("a", 1000));
    await catalog.facts.putRecall(measured("b", 1000, 0.9));
    await expect.poll(() => other.recall("a")?.recallAt10).toBe(0.7);
    const { seq } = await f.append({ type: "library.deleted", libraryId: "a" });
    await catalog.waitFor(seq, 5000);
    await other.waitFor(seq, 5000);
    // gone from the views as soon as the deletion is applied, before KV is cleaned
    expect(catalog.recall("a")).toBeUndefined();
    expect(other.lastDecision("a")).toBeUndefined();
    expect(other.allRecalls().map((r) => r.libraryId)).toEqual(["b"]);
    await catalog.facts.forgetLibrary("a");
    expect((await f.kv.list("lib.")).map((e) => e.key)).toEqual([recallKey("b")]);
  });

  it("takes the recall and policy events earlier versions appended to the catalog into KV", async () => {
    await f.append(created("a"));
    await f.append(created("b"));
    await f.append(measured("a", 2000, 0.8));
    await f.append(measured("a", 1000, 0.5)); // older, appended late: not the latest
    await f.append(measured("ghost", 1000, 0.5)); // no such library
    await f.append(policyDecision("b", 10));
    await f.append(created("c"));
    await f.append(measured("c", 1000, 0.6));
    await f.append({ type: "library.deleted", libraryId: "c" });
    const { catalog } = await f.start();
    expect(catalog.recall("a")?.recallAt10).toBe(0.8);
    expect(catalog.recall("b")).toBeUndefined();
    expect(catalog.lastDecision("b")?.atMs).toBe(10);
    expect((await f.kv.list("lib.")).map((e) => e.key)).toEqual([recallKey("a"), decisionKey("b")]);
    // one still running an earlier version appends another: taken in as it arrives
    const { seq } = await f.append(measured("b", 3000, 0.95));
    expect(await catalog.waitFor(seq, 5000)).toBe(true);
    expect(catalog.recall("b")?.recallAt10).toBe(0.95);
    await expect.poll(async () => (await f.kv.get(recallKey("b"))) !== undefined).toBe(true);
    await f.stop(catalog);

    // the restart starts from the snapshot, after those events: the facts come from KV
    const { catalog: restarted, info } = await f.start();
    expect(info).toMatchObject({ snapshotSeq: seq, replayed: 0, facts: 3 });
    expect(restarted.recall("a")).toEqual(measured("a", 2000, 0.8));
    expect(restarted.recall("b")?.recallAt10).toBe(0.95);
    expect(restarted.recall("ghost")).toBeUndefined();
  });

  it("leaves no fact of a deleted library, whichever coordinator writes it and when", async () => {
    await f.append(created("a"));
    await f.append(created("b"));
    const { catalog } = await f.start();
    const { catalog: other } = await f.start();
    await catalog.facts.putRecall(measured("b", 1000, 0.9));
    const { seq } = await f.append({ type: "library.deleted", libraryId: "a" });
    await catalog.waitFor(seq, 5000);
    await other.waitFor(seq, 5000);
    // a probe or a policy round that was about the library as it was deleted
    await other.facts.putRecall(measured("a", 2000, 0.5));
    await other.facts.putDecision(policyDecision("a", 2000));
    expect(await keys()).toEqual([recallKey("b")]);
    expect(other.recall("a")).toBeUndefined();
  });

  it("removes at start the facts and benchmark jobs of libraries deleted while no coordinator removed them", async () => {
    await f.append(created("a"));
    await f.append(created("b"));
    const { catalog } = await f.start();
    await catalog.facts.putRecall(measured("a", 1000, 0.7));
    await catalog.facts.putDecision(policyDecision("a", 1000));
    await catalog.facts.putRecall(measured("b", 1000, 0.9));
    // benchmark jobs share the libraries' keys, and are no facts
    const url = "/v1/libraries/a/quantization/benchmarks/bench_1";
    const job = newJobRecord({
      libraryId: "a",
      jobId: "bench_1",
      url,
      targetRecall: 1,
      leaseMs: 1,
    });
    expect(await new BenchmarkJobStore(f.kv).create(job)).toMatchObject({ created: true });
    await f.stop(catalog);
    // deleted by a coordinator that stopped before it removed the facts
    await f.append({ type: "library.deleted", libraryId: "a" });
    const { catalog: restarted, info } = await f.start();
    expect(info.facts).toBe(3);
    expect(restarted.recall("a")).toBeUndefined();
    await expect.poll(keys).toEqual([recallKey("b")]);
  });

  it("writes no snapshot past earlier versions' facts until they are in KV", async () => {
    await f.append(created("a"));
    await f.append(measured("a", 2000, 0.8));
    const { seq } = await f.append(policyDecision("a", 10));
    const refusing = new RefusingKv(f.kv, "lib.");
    const { catalog } = await f.start({}, refusing);
    expect(catalog.recall("a")?.recallAt10).toBe(0.8); // in the view, not in KV
    await f.stop(catalog);
    // a snapshot past those events would lose them: none is written
    expect(await new CatalogSnapshotStore(f.kv).load()).toBeUndefined();
    expect(await keys()).toEqual([]);

    refusing.refusing = false;
    const { catalog: again, info } = await f.start({}, refusing);
    expect(info).toMatchObject({ snapshotSeq: 0, replayed: 3 });
    await f.stop(again);
    expect((await new CatalogSnapshotStore(f.kv).load())?.seq).toBe(seq);
    const { catalog: third, info: thirdInfo } = await f.start();
    expect(thirdInfo).toMatchObject({ snapshotSeq: seq, replayed: 0, facts: 2 });
    expect(third.recall("a")?.recallAt10).toBe(0.8);
    expect(third.lastDecision("a")?.atMs).toBe(10);
  });
});
