import { describe, expect, it } from "vitest";
import { apportion } from "./apportion.js";

describe("apportion", () => {
  it("splits a count proportionally, summing exactly to it", () => {
    expect(apportion(10, [50, 30, 20])).toEqual([5, 3, 2]);
    expect(apportion(10, [1, 1, 1])).toEqual([1, 1, 1]);
    const shares = apportion(200, [333, 333, 334]);
    expect(shares.reduce((a, b) => a + b, 0)).toBe(200);
    expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
  });

  it("gives every weight in full when the count covers them, and nothing to empty ones", () => {
    expect(apportion(100, [5, 0, 7])).toEqual([5, 0, 7]);
    expect(apportion(3, [0, 1000, 0])).toEqual([0, 3, 0]);
    expect(apportion(0, [4, 4])).toEqual([0, 0]);
    expect(apportion(5, [])).toEqual([]);
  });
});
