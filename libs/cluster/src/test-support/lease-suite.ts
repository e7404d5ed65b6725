import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keepLease, type Lease } from "../lease.js";

export interface LeaseBackend {
  /** A contender for the lease `name` (every call with the same name competes for one lease). */
  contender(name: string, holderId: string, ttlMs: number): Promise<Lease>;
  close(): Promise<void>;
}

const TTL_MS = 800;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The lease contract, run on every implementation. */
export function defineLeaseSuite(name: string, start: () => Promise<LeaseBackend>): void {
  describe(`lease contract (${name})`, () => {
    let backend: LeaseBackend;
    beforeAll(async () => {
      backend = await start();
    });
    afterAll(() => backend?.close());

    it("lets exactly one of two contenders hold it, and renewals keep it past the time-to-live", async () => {
      const a = await backend.contender("one-holder", "a", TTL_MS);
      const b = await backend.contender("one-holder", "b", TTL_MS);
      expect(a.holderId).toBe("a");
      expect(a.ttlMs).toBe(TTL_MS);
      expect(await a.acquire()).toBe(true);
      expect(await b.acquire()).toBe(false);
      expect([a.isHolder(), b.isHolder()]).toEqual([true, false]);
      expect(await a.holder()).toBe("a");
      expect(await b.holder()).toBe("a");
      for (let i = 0; i < 5; i++) {
        await sleep(TTL_MS / 3);
        expect(await a.renew()).toBe(true);
        expect(await b.acquire()).toBe(false);
      }
      expect(a.isHolder()).toBe(true);
      expect(await b.renew()).toBe(false); // renewing what one does not hold takes nothing
      await a.release();
    });

    it("passes to another contender once the holder stops renewing, never before", async () => {
      const a = await backend.contender("takeover", "a", TTL_MS);
      const b = await backend.contender("takeover", "b", TTL_MS);
      expect(await a.acquire()).toBe(true);
      await sleep(TTL_MS / 2);
      expect(await b.acquire()).toBe(false);
      await sleep(TTL_MS / 2 + 100);
      expect(a.isHolder()).toBe(false); // its time is up: it must not act as the holder
      expect(await a.holder()).toBeUndefined();
      expect(await b.acquire()).toBe(true);
      expect(await b.holder()).toBe("b");
      // The old holder's late renewal fails: it lost the lease.
      expect(await a.renew()).toBe(false);
      expect(a.isHolder()).toBe(false);
      expect(await a.acquire()).toBe(false);
      // Its release does not free what b holds.
      await a.release();
      expect(await b.holder()).toBe("b");
      expect(await b.renew()).toBe(true);
      await b.release();
    });

    it("frees a released lease at once", async () => {
      const a = await backend.contender("release", "a", 60_000);
      const b = await backend.contender("release", "b", 60_000);
      expect(await a.acquire()).toBe(true);
      expect(await b.acquire()).toBe(false);
      await a.release();
      expect(a.isHolder()).toBe(false);
      expect(await b.holder()).toBeUndefined();
      expect(await b.acquire()).toBe(true);
      expect(await a.acquire()).toBe(false);
      await b.release();
    });

    it("gives a free lease to exactly one of many contenders racing for it", async () => {
      const contenders = await Promise.all(
        Array.from({ length: 6 }, (_, i) => backend.contender("race", `c${i}`, 60_000)),
      );
      const won = await Promise.all(contenders.map((c) => c.acquire()));
      expect(won.filter(Boolean)).toHaveLength(1);
      const winner = contenders[won.indexOf(true)];
      expect(await contenders[0].holder()).toBe(winner.holderId);
      expect(contenders.filter((c) => c.isHolder())).toEqual([winner]);
      await winner.release();
    });

    it("keepLease holds it in the background and hands it over when the holder stops", async () => {
      const a = await backend.contender("keeper", "a", TTL_MS);
      const b = await backend.contender("keeper", "b", TTL_MS);
      const changes: string[] = [];
      const keepA = keepLease(a, (holding) => changes.push(`a:${holding}`));
      await sleep(200);
      const keepB = keepLease(b, (holding) => changes.push(`b:${holding}`));
      await sleep(TTL_MS * 2); // several renewals
      expect(changes).toEqual(["a:true"]);
      expect([a.isHolder(), b.isHolder()]).toEqual([true, false]);
      await keepA.stop(); // releases: b takes it at its next attempt
      const deadline = Date.now() + TTL_MS * 2;
      while (!b.isHolder() && Date.now() < deadline) await sleep(20);
      expect(changes).toEqual(["a:true", "a:false", "b:true"]);
      await keepB.stop();
      expect(changes).toEqual(["a:true", "a:false", "b:true", "b:false"]);
      expect(await a.holder()).toBeUndefined();
    });
  });
}
