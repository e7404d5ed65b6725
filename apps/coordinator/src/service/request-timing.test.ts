import { describe, expect, it } from "vitest";
import { RequestTiming, serverTimingHeader } from "./request-timing.js";

/** A clock that answers the given instants in turn. */
function clock(...instants: number[]): () => number {
  let i = 0;
  return () => instants[Math.min(i++, instants.length - 1)];
}

describe("RequestTiming", () => {
  it("gives each phase the time since the previous mark, and the total since the start", () => {
    const timing = new RequestTiming(clock(10, 10.5, 11.25, 14, 14.5));
    timing.mark("parse");
    timing.mark("validate");
    timing.mark("route");
    expect(timing.entries()).toEqual([
      { name: "parse", ms: 0.5 },
      { name: "validate", ms: 0.75 },
      { name: "route", ms: 2.75 },
      { name: "total", ms: 4.5 },
    ]);
  });

  it("adds up a repeated phase and moves time from one phase to another", () => {
    const timing = new RequestTiming(clock(0, 1, 3, 6, 6));
    timing.mark("route");
    timing.mark("validate");
    timing.mark("route");
    timing.add("route", -2.5);
    timing.add("search", 2.5);
    expect(timing.entries()).toEqual([
      { name: "route", ms: 1.5 },
      { name: "validate", ms: 2 },
      { name: "search", ms: 2.5 },
      { name: "total", ms: 6 },
    ]);
  });

  it("never reports a negative phase", () => {
    const timing = new RequestTiming(clock(0, 1, 1));
    timing.mark("route");
    timing.add("route", -1.2);
    expect(timing.entries()[0]).toEqual({ name: "route", ms: 0 });
  });
});

describe("serverTimingHeader", () => {
  it("writes W3C Server-Timing metrics with dur in ms", () => {
    expect(
      serverTimingHeader([
        { name: "parse", ms: 0.0523 },
        { name: "search", ms: 1.5 },
        { name: "total", ms: 2 },
      ]),
    ).toBe("parse;dur=0.052, search;dur=1.500, total;dur=2.000");
    expect(serverTimingHeader([])).toBe("");
  });
});
