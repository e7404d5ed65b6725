import { describe, expect, it } from "vitest";
import { owners, partitionsOwnedBy } from "./rendezvous.js";

describe("rendezvous assignment", () => {
  const members = ["shard-a", "shard-b", "shard-c"];

  it("gives every partition `replicas` distinct owners, the same in any member order", () => {
    for (let p = 0; p < 64; p++) {
      const o = owners(p, members, 2);
      expect(new Set(o).size).toBe(2);
      expect(owners(p, [...members].reverse(), 2)).toEqual(o);
    }
  });

  it("spreads partitions over members", () => {
    const counts = members.map((m) => partitionsOwnedBy(m, members, 300, 1).length);
    expect(counts.reduce((a, b) => a + b)).toBe(300);
    for (const c of counts) expect(c).toBeGreaterThan(60);
  });

  it("moves only the partitions of a member that leaves", () => {
    const before = Array.from({ length: 200 }, (_, p) => owners(p, members, 1)[0]);
    const after = Array.from({ length: 200 }, (_, p) => owners(p, ["shard-a", "shard-b"], 1)[0]);
    before.forEach((owner, p) => {
      if (owner !== "shard-c") expect(after[p]).toBe(owner);
    });
  });
});
