import { getPriority } from "node:os";
import { describe, expect, it } from "vitest";
import { lowerThreadPriority } from "./thread-priority.js";

describe("lowerThreadPriority", () => {
  // (this test file's process runs on at the lower priority: nothing else runs in it)
  it("lowers the calling thread's priority and never raises it again", () => {
    const lowered = Math.min(19, getPriority() + 5);
    lowerThreadPriority(lowered);
    expect(getPriority()).toBe(lowered);
    lowerThreadPriority(lowered - 3);
    expect(getPriority()).toBe(lowered);
  });
});
