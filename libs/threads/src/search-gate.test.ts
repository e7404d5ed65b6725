import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { SearchGate } from "./search-gate.js";
import { TimeSlice } from "./time-slice.js";
import { startWorker, workerEntry } from "./worker-url.js";

const waiter = workerEntry("./test-support/gate-waiter.ts", import.meta.url);

function startWaiter(gate: SearchGate, maxMs: number) {
  const thread = startWorker(waiter, { workerData: { buffer: gate.buffer, maxMs } });
  const messages: unknown[] = [];
  const next = () =>
    new Promise<unknown>((resolve) => {
      if (messages.length > 0) resolve(messages.shift());
      else thread.once("message", resolve);
    });
  return { thread, next };
}

describe("SearchGate", () => {
  it("counts the searches in flight across threads and wakes a waiting thread when the last ends", async () => {
    const gate = new SearchGate();
    gate.enter();
    gate.enter();
    expect(gate.inFlight()).toBe(2);
    const { thread, next } = startWaiter(gate, 10_000);
    expect(await next()).toBe("waiting");
    await new Promise((r) => setTimeout(r, 100));
    gate.leave(); // one search still runs: the other thread keeps waiting
    await new Promise((r) => setTimeout(r, 100));
    gate.leave();
    const waited = (await next()) as number;
    expect(waited).toBeGreaterThanOrEqual(150);
    expect(waited).toBeLessThan(5_000);
    expect(gate.inFlight()).toBe(0);
    await once(thread, "exit");
  });

  it("gives way for at most its bound under searches that never stop", async () => {
    const gate = new SearchGate();
    gate.enter();
    const { thread, next } = startWaiter(gate, 200);
    expect(await next()).toBe("waiting");
    const waited = (await next()) as number;
    expect(waited).toBeGreaterThanOrEqual(190);
    expect(waited).toBeLessThan(5_000);
    await once(thread, "exit");
    gate.leave();
  });

  it("lets a TimeSlice pause leave the cores to searches in flight, and not otherwise", async () => {
    const gate = new SearchGate();
    const slice = new TimeSlice(4, gate, 60);
    let started = performance.now();
    await slice.pause();
    const idle = performance.now() - started;
    gate.enter();
    started = performance.now();
    await slice.pause();
    const busy = performance.now() - started;
    gate.leave();
    expect(idle).toBeLessThan(50);
    expect(busy).toBeGreaterThanOrEqual(55);
  });

  it("ends a slice as soon as a search is in flight, except the whole slice owed after waiting", async () => {
    const gate = new SearchGate();
    const slice = new TimeSlice(1_000, gate, 50);
    expect(slice.due()).toBe(false);
    gate.enter();
    expect(slice.due()).toBe(true); // long before its 1 s: a search waits for one unit of work
    await slice.pause(); // the search never ends: waits 50 ms, then owes the work a whole slice
    expect(slice.due()).toBe(false);
    gate.leave();
    await slice.pause();
    gate.enter();
    expect(slice.due()).toBe(true); // nothing owed after a pause that found no search
    gate.leave();
  });

  it("keeps background work off for its cooldown after the last search ends", async () => {
    const gate = SearchGate.create(30);
    expect(new SearchGate(gate.buffer).cooldownMs).toBe(30); // another thread's view
    expect(gate.busy()).toBe(false);
    gate.enter();
    gate.leave();
    expect(gate.busy()).toBe(true); // the client's next search is on its way
    const started = performance.now();
    await gate.quiet(1_000);
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(29);
    expect(waited).toBeLessThan(500);
    expect(gate.busy()).toBe(false);
    const none = SearchGate.create(0); // only searches in flight count
    none.enter();
    none.leave();
    expect(none.busy()).toBe(false);
  });
});
