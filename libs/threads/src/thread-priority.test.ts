import { getPriority } from "node:os";
import { describe, expect, it } from "vitest";
import { SearchGate } from "./search-gate.js";
import {
  BACKGROUND_NICE_STEP,
  canRaiseTo,
  lowerThreadPriority,
  RaisableThread,
  ThreadPriority,
  threadPriority,
} from "./thread-priority.js";
import { TimeSlice } from "./time-slice.js";

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
    const may = canRaiseTo(base);
    expect(priority.enableSwitching()).toBe(may);
    priority.enter("background");
    expect(getPriority()).toBe(may ? Math.min(19, base + BACKGROUND_NICE_STEP) : base);
    priority.enter("foreground");
    expect(getPriority()).toBe(base);
  });

  it("is raised back by the thread that routes it a request, and enters its lanes after that", () => {
    const base = getPriority();
    const priority = new ThreadPriority();
    if (!priority.enableSwitching()) return expect(priority.raisable()).toBeUndefined();
    const background = Math.min(19, base + BACKGROUND_NICE_STEP);
    // (the raiser would be another thread: the calls are the same, by the thread's kernel id)
    const raiser = new RaisableThread(
      priority.raisable() as NonNullable<ReturnType<typeof priority.raisable>>,
    );
    priority.enter("background");
    expect(getPriority()).toBe(background);
    expect(priority.raised()).toBe(false);
    raiser.raise();
    expect(getPriority()).toBe(base);
    expect(priority.raised()).toBe(true);
    // the lane knows it was raised: going down again is not skipped as "already there"
    priority.enter("background");
    expect(getPriority()).toBe(background);
    priority.enter("foreground");
    expect(getPriority()).toBe(base);
  });

  it("puts a TimeSlice's work in its lane when it starts and again after each pause", async () => {
    const base = getPriority();
    if (!threadPriority.enableSwitching()) return expect(canRaiseTo(base)).toBe(false);
    const background = Math.min(19, base + BACKGROUND_NICE_STEP);
    const gate = SearchGate.create(0);
    const work = new TimeSlice(4, gate);
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

  it("makes background work due as soon as the thread is raised for a request", async () => {
    if (!threadPriority.enableSwitching()) return;
    const raiser = new RaisableThread(
      threadPriority.raisable() as NonNullable<ReturnType<typeof threadPriority.raisable>>,
    );
    const work = new TimeSlice(60_000, SearchGate.create(0));
    expect(work.due()).toBe(false);
    raiser.raise();
    expect(work.due()).toBe(true);
    await work.pause();
    expect(threadPriority.raised()).toBe(false);
    expect(work.due()).toBe(false);
  });

  it("lets a request through a slice owed to the work, which then goes on without waiting again", async () => {
    if (!threadPriority.enableSwitching()) return;
    const raiser = new RaisableThread(
      threadPriority.raisable() as NonNullable<ReturnType<typeof threadPriority.raisable>>,
    );
    const gate = SearchGate.create(0);
    const work = new TimeSlice(60_000, gate, 40);
    gate.enter(); // searches that never end
    await work.pause(); // waits 40 ms for them, then owes the work a whole slice
    expect(work.due()).toBe(false);
    raiser.raise();
    expect(work.due()).toBe(true);
    const started = performance.now();
    await work.pause();
    expect(performance.now() - started).toBeLessThan(30); // not another 40 ms
    expect(work.due()).toBe(false); // still owed
    gate.leave();
  });
});
