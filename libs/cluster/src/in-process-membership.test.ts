import { describe, expect, it } from "vitest";
import { InProcessMembership } from "./in-process-membership.js";

describe("InProcessMembership", () => {
  it("lists announced members and tells listeners of changes, not of bare heartbeats", async () => {
    const membership = new InProcessMembership();
    let calls = 0;
    membership.onChange(() => calls++);
    await membership.announce({ shardId: "b", serving: [], catchingUp: [0], atMs: 1 });
    await membership.announce({ shardId: "a", serving: [1], catchingUp: [], atMs: 1 });
    await Promise.resolve();
    expect(membership.members().map((m) => m.shardId)).toEqual(["a", "b"]);
    expect(calls).toBe(2);
    await membership.announce({ shardId: "a", serving: [1], catchingUp: [], atMs: 2 });
    await Promise.resolve();
    expect(calls).toBe(2);
    await membership.announce({ shardId: "b", serving: [0], catchingUp: [], atMs: 2 });
    await membership.leave("a");
    await Promise.resolve();
    expect(calls).toBe(4);
    expect(membership.members().map((m) => m.shardId)).toEqual(["b"]);
  });
});
