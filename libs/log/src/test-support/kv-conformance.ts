import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isLogError, LogErrorCode } from "../errors.js";
import type { KvChange, KvStore, KvWatch } from "../kv/kv-store.js";

/** A KV implementation under test, with the means to restart it on the same storage. */
export interface KvUnderTest {
  kv: KvStore;
  /**
   * Stops the store's server or closes the store (SIGKILL for a server: no clean shutdown) and
   * starts it again on the same storage; afterwards `kv` is a working client of it.
   */
  restart(): Promise<void>;
  dispose(): Promise<void>;
}

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** The next `count` changes a watch delivers (fails after `timeoutMs`). */
async function next(watch: KvWatch, count: number, timeoutMs = 10_000): Promise<KvChange[]> {
  const out: KvChange[] = [];
  const iterator = watch[Symbol.asyncIterator]();
  const deadline = Date.now() + timeoutMs;
  while (out.length < count) {
    const left = deadline - Date.now();
    const step = await Promise.race([
      iterator.next(),
      new Promise<"timeout">((r) => setTimeout(() => r("timeout"), Math.max(0, left))),
    ]);
    if (step === "timeout") throw new Error(`only ${out.length} of ${count} changes arrived`);
    if (step.done) break;
    out.push(step.value);
  }
  return out;
}

function view(c: KvChange): string {
  return c.op === "put" ? `put ${c.key}=${text(c.value)}` : `delete ${c.key}`;
}

/** One conformance suite, run on every KvStore implementation. */
export function describeKvConformance(name: string, create: () => Promise<KvUnderTest>): void {
  describe(`${name}: KvStore conformance`, () => {
    let t: KvUnderTest;
    beforeEach(async () => {
      t = await create();
    });
    afterEach(async () => {
      await t.dispose();
    });

    it("puts, gets and deletes values, with revisions that only grow", async () => {
      expect(await t.kv.get("lib.a.recall")).toBeUndefined();
      const r1 = await t.kv.put("lib.a.recall", bytes("one"));
      const r2 = await t.kv.put("lib.b.recall", bytes("two"));
      const r3 = await t.kv.put("lib.a.recall", bytes("three"));
      expect(r2).toBeGreaterThan(r1);
      expect(r3).toBeGreaterThan(r2);
      const a = await t.kv.get("lib.a.recall");
      expect(a && { ...a, value: text(a.value) }).toEqual({
        key: "lib.a.recall",
        value: "three",
        revision: r3,
      });
      await t.kv.delete("lib.a.recall");
      await t.kv.delete("lib.never.written"); // nothing to delete: no error
      expect(await t.kv.get("lib.a.recall")).toBeUndefined();
      expect(text((await t.kv.get("lib.b.recall"))!.value)).toBe("two");
      const r4 = await t.kv.put("lib.a.recall", bytes("again"));
      expect(r4).toBeGreaterThan(r3);
      expect(text((await t.kv.get("lib.a.recall"))!.value)).toBe("again");
    });

    it("keeps binary values byte for byte, small and large", async () => {
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      const large = Uint8Array.from({ length: 300 * 1024 }, (_, i) => (i * 7919) % 251);
      await t.kv.put("bin.all", all);
      await t.kv.put("bin.large", large);
      await t.kv.put("bin.empty", new Uint8Array(0));
      expect(Array.from((await t.kv.get("bin.all"))!.value)).toEqual(Array.from(all));
      expect(Buffer.from((await t.kv.get("bin.large"))!.value).equals(Buffer.from(large))).toBe(
        true,
      );
      expect((await t.kv.get("bin.empty"))!.value.length).toBe(0);
    });

    it("lists the keys under a prefix, by whole tokens, sorted, without deleted ones", async () => {
      for (const key of ["lib.b.recall", "lib.a.recall", "lib.a.decision", "lib.ab.recall"])
        await t.kv.put(key, bytes(key));
      await t.kv.put("lib.a.progress.mig_1", bytes("p1"));
      await t.kv.put("catalog.snapshot", bytes("s"));
      await t.kv.put("lib.b.decision", bytes("gone"));
      await t.kv.delete("lib.b.decision");
      const keys = async (prefix: string) => (await t.kv.list(prefix)).map((e) => e.key);
      expect(await keys("lib.a.")).toEqual([
        "lib.a.decision",
        "lib.a.progress.mig_1",
        "lib.a.recall",
      ]);
      expect(await keys("lib.")).toEqual([
        "lib.a.decision",
        "lib.a.progress.mig_1",
        "lib.a.recall",
        "lib.ab.recall",
        "lib.b.recall",
      ]);
      expect((await keys("")).length).toBe(6);
      expect(await keys("nothing.")).toEqual([]);
      const listed = await t.kv.list("lib.a.");
      for (const e of listed) {
        const got = await t.kv.get(e.key);
        expect(got?.revision).toBe(e.revision);
        expect(text(e.value)).toBe(text(got!.value));
      }
    });

    it("lists every key's last value after many writes over many keys", async () => {
      const keys = 300;
      let next = 0;
      const worker = async () => {
        while (next < 6000) {
          const i = next++;
          await t.kv.put(`lib.l${i % keys}.recall`, bytes(`w${i}`));
        }
      };
      await Promise.all(Array.from({ length: 50 }, worker));
      const listed = await t.kv.list("lib.");
      expect(listed).toHaveLength(keys);
      const last = new Map(listed.map((e) => [e.key, text(e.value)]));
      for (let k = 0; k < keys; k++) {
        expect(Number(last.get(`lib.l${k}.recall`)?.slice(1)) % keys).toBe(k);
        const got = await t.kv.get(`lib.l${k}.recall`);
        expect(text(got!.value)).toBe(last.get(`lib.l${k}.recall`));
      }
    });

    it("writes on an expected revision only, one winner among concurrent writers", async () => {
      const created = await t.kv.put("catalog.snapshot", bytes("v1"), { previousRevision: 0 });
      const again = t.kv.put("catalog.snapshot", bytes("v1 again"), { previousRevision: 0 });
      await expect(again).rejects.toSatisfy((e) => isLogError(e, LogErrorCode.KvConflict));
      const updated = await t.kv.put("catalog.snapshot", bytes("v2"), {
        previousRevision: created,
      });
      const stale = t.kv.put("catalog.snapshot", bytes("stale"), { previousRevision: created });
      await expect(stale).rejects.toSatisfy((e) => isLogError(e, LogErrorCode.KvConflict));
      expect(text((await t.kv.get("catalog.snapshot"))!.value)).toBe("v2");
      const racing = await Promise.allSettled(
        [1, 2, 3, 4, 5].map((i) =>
          t.kv.put("catalog.snapshot", bytes(`w${i}`), { previousRevision: updated }),
        ),
      );
      const won = racing.filter((r) => r.status === "fulfilled");
      expect(won).toHaveLength(1);
      for (const r of racing)
        if (r.status === "rejected")
          expect(isLogError(r.reason, LogErrorCode.KvConflict)).toBe(true);
      const winner = (won[0] as PromiseFulfilledResult<number>).value;
      expect((await t.kv.get("catalog.snapshot"))!.revision).toBe(winner);
      // a deleted key takes a write that expects no value
      await t.kv.delete("catalog.snapshot");
      await t.kv.put("catalog.snapshot", bytes("v3"), { previousRevision: 0 });
      expect(text((await t.kv.get("catalog.snapshot"))!.value)).toBe("v3");
    });

    it("watches the changes under a prefix made after it started, in order", async () => {
      await t.kv.put("lib.a.recall", bytes("before"));
      const watch = await t.kv.watch("lib.");
      const other = await t.kv.watch("lib.b.");
      const r1 = await t.kv.put("lib.a.recall", bytes("after"));
      await t.kv.put("catalog.snapshot", bytes("not watched"));
      const r2 = await t.kv.put("lib.b.decision", bytes("d"));
      await t.kv.delete("lib.a.recall");
      await t.kv.put("lib.a.recall", bytes("last"));
      const changes = await next(watch, 4);
      expect(changes.map(view)).toEqual([
        "put lib.a.recall=after",
        "put lib.b.decision=d",
        "delete lib.a.recall",
        "put lib.a.recall=last",
      ]);
      expect(changes.slice(0, 2).map((c) => c.revision)).toEqual([r1, r2]);
      for (let i = 1; i < changes.length; i++)
        expect(changes[i].revision).toBeGreaterThan(changes[i - 1].revision);
      expect((await next(other, 1)).map(view)).toEqual(["put lib.b.decision=d"]);
      await watch.stop();
      await other.stop();
      const done = await next(watch, 1, 2_000);
      expect(done).toEqual([]); // a stopped watch ends its iteration
    });

    it("rejects keys and prefixes that are not whole tokens", async () => {
      for (const key of ["", "a..b", ".a", "a.", "a b", "lib.*", "lib.>", "é"]) {
        await expect(t.kv.put(key, bytes("x"))).rejects.toSatisfy((e) =>
          isLogError(e, LogErrorCode.InvalidArgument),
        );
      }
      for (const prefix of ["lib", "lib..", ".", "lib.*."]) {
        await expect(t.kv.list(prefix)).rejects.toSatisfy((e) =>
          isLogError(e, LogErrorCode.InvalidArgument),
        );
      }
    });

    it("keeps every acknowledged write through a restart", async () => {
      const revisions: number[] = [];
      await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          revisions.push(await t.kv.put(`lib.l${i % 50}.recall`, bytes(`m${i}`)));
        }),
      );
      await t.kv.delete("lib.l7.recall");
      const before = (await t.kv.list("lib.")).map((e) => [e.key, text(e.value), e.revision]);
      expect(before).toHaveLength(49);
      await t.restart();
      const after = (await t.kv.list("lib.")).map((e) => [e.key, text(e.value), e.revision]);
      expect(after).toEqual(before);
      const later = await t.kv.put("lib.l1.recall", bytes("later"));
      expect(later).toBeGreaterThan(Math.max(...revisions));
    });
  });
}
