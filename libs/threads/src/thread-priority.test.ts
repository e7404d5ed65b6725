import { getPriority } from "node:os";
import { describe, expect, it } from "vitest";
import { SearchGate } from "./search-gate.js";
import {
  BACKGROUND_NICE_STEP,
  canRaiseTo,
  lowerThreadPriority,
  RequestedThread,
  ThreadPriority,
  threadPriority,
} from "./thread-priority.js";
import { TimeSlice } from "./time-slice.js";

/** A gate a search just went through (no cooldown: it is not busy, but searches are about). */
function searchedJustNow(): SearchGate {
  const gate = SearchGate.create(0);
  gate.enter();
  gate.leave();
  return gate;
}

// (this test file's process runs on at the priorities it leaves: nothing else runs in it)
describe("lowerThreadPriority", () => {
  it("lowers the calling thread's priority and never raises it again", () => {
    const lowered = Math.min(19, getPriority() + 5);
    lowerThreadPriority(lowered);
    expect(getPriority()).toBe(lowered);
    lowerThreadPriority(lowered - 3);
    expect(getPriority()).toBe(lowered);
  });
});

describe("ThreadPriority", () => {
  it("runs background work BACKGROUND_NICE_STEP lower and comes back up to answer, where the thread may", () => {
    const base = getPriority();
    const priority = new ThreadPriority();
    const info = priority.open();
    const may = canRaiseTo(base);
    expect(info.switching).toBe(may);
    priority.enter("background");
    expect(getPriority()).toBe(may ? Math.min(19, base + BACKGROUND_NICE_STEP) : base);
    priority.enter("foreground");
    expect(getPriority()).toBe(base);
  });

  it("lets a request posted to the thread through its background work at once, raised", async () => {
    const info = threadPriority.open();
    const base = info.nice;
    const background = info.switching ? Math.min(19, base + BACKGROUND_NICE_STEP) : base;
    // (the poster is another thread in a node: the calls are the same, by the thread's kernel id)
    const poster = new RequestedThread(info);
    const work = new TimeSlice(60_000, searchedJustNow());
    expect(getPriority()).toBe(background);
    expect(work.due()).toBe(false);
    poster.posted();
    expect(threadPriority.requestWaiting()).toBe(true);
    expect(getPriority()).toBe(base);
    expect(work.due()).toBe(true);
    // background work does not go down again while the request waits...
    threadPriority.enter("background");
    expect(getPriority()).toBe(base);
    // ...and goes down once the thread has started on it
    threadPriority.requestTaken();
    await work.pause();
    expect(getPriority()).toBe(background);
    expect(work.due()).toBe(false);
    threadPriority.enter("foreground");
  });

  it("puts a TimeSlice's work in its lane when it starts and again after each pause", async () => {
    const info = threadPriority.open();
    const base = info.nice;
    const background = info.switching ? Math.min(19, base + BACKGROUND_NICE_STEP) : base;
    const work = new TimeSlice(4, searchedJustNow());
    expect(getPriority()).toBe(background);
    // a search answered between two slices of the work moves the thread up...
    const search = new TimeSlice(4);
    expect(getPriority()).toBe(base);
    // ...and the work's next slice down again
    await work.pause();
    expect(getPriority()).toBe(background);
    await search.pause();
    expect(getPriority()).toBe(base);
  });

  it("keeps background work at the answering priority when no search ran for a second", () => {
    const info = threadPriority.open();
    new TimeSlice(4, SearchGate.create(0)); // a gate no search went through
    expect(getPriority()).toBe(info.nice);
  });

  it("lets a request through a slice owed to the work, which then goes on without waiting again", async () => {
    const poster = new RequestedThread(threadPriority.open());
    const gate = SearchGate.create(0);
    const work = new TimeSlice(60_000, gate, 40);
    gate.enter(); // searches (on other threads) that never end
    await work.pause(); // waits 40 ms for them, then owes the work a whole slice
    expect(work.due()).toBe(false);
    poster.posted();
    expect(work.due()).toBe(true);
    threadPriority.requestTaken();
    const started = performance.now();
    await work.pause();
    expect(performance.now() - started).toBeLessThan(30); // not another 40 ms
    expect(work.due()).toBe(false); // still owed
    gate.leave();
  });
});
