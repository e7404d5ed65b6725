import { describe, expect, it } from "vitest";
import { meanRecallLeavingOut, recallLeavingOut } from "./recall.js";

describe("recall leaving the query's own id out", () => {
  it("compares the first k of each list once the query is removed from both", () => {
    // self first in both: the next k count
    expect(recallLeavingOut(["q", "a", "b", "c"], ["q", "a", "b", "d"], "q", 2)).toBe(1);
    expect(recallLeavingOut(["q", "a", "c", "b"], ["q", "a", "b", "d"], "q", 2)).toBe(0.5);
    // the live search missed self: nothing to remove, its first k count
    expect(recallLeavingOut(["a", "b", "x"], ["q", "a", "b"], "q", 2)).toBe(1);
    // self found late by the live search, or a neighbour at distance 0 listed before it
    expect(recallLeavingOut(["a", "b", "q"], ["a", "q", "b"], "q", 2)).toBe(1);
    expect(recallLeavingOut(["a", "x", "q", "b"], ["q", "a", "b"], "q", 2)).toBe(0.5);
  });

  it("measures against fewer than k when the library holds fewer", () => {
    expect(recallLeavingOut(["q", "a"], ["q", "a", "b"], "q", 10)).toBe(0.5);
    expect(recallLeavingOut(["q"], ["q"], "q", 10)).toBeUndefined();
    expect(recallLeavingOut([], ["q", "a"], "q", 10)).toBe(0);
  });

  it("averages over the measurable queries", () => {
    const live = [["q1", "a"], ["b", "q2"], ["q3"]];
    const exact = [["q1", "a"], ["q2", "c"], ["q3"]];
    expect(meanRecallLeavingOut(live, exact, ["q1", "q2", "q3"], 1)).toBe(0.5);
    expect(meanRecallLeavingOut([], [], [], 10)).toBe(0);
  });
});
