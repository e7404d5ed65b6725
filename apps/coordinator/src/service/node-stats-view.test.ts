import { describe, expect, it } from "vitest";
import type { NodeStatsRow } from "./node-stats.js";
import { NodeStatsView } from "./node-stats-view.js";

const row = (libraryId: string, partition: number, shard: string, vectors: number) =>
  ({
    libraryId,
    partition,
    shard,
    vectors,
    phase: "exact",
    index: { vectors: 0, quantizer: 0, graph: 0, originals: 0, other: 0, total: 0 },
    metadataBytes: 0,
    strategy: "none",
  }) satisfies NodeStatsRow;

/** A view over gatherings that take `ms` each and answer `vectors` as their round number. */
function viewOver(ms: number, maxAgeMs?: number) {
  let rounds = 0;
  const view = new NodeStatsView(async () => {
    const n = ++rounds;
    await new Promise((r) => setTimeout(r, ms));
    return new Map([["lib", [row("lib", 1, "s2", n), row("lib", 0, "s1", n)]]]);
  }, maxAgeMs);
  return { view, rounds: () => rounds };
}

describe("NodeStatsView", () => {
  it("answers the latest round while it is young enough, a new one after", async () => {
    const { view, rounds } = viewOver(1, 50);
    const first = await view.round();
    expect(first.library("lib").vectorsByPartition).toEqual(
      new Map([
        [1, 1],
        [0, 1],
      ]),
    );
    expect(await view.round()).toBe(first);
    expect(await view.round(10_000)).toBe(first);
    await new Promise((r) => setTimeout(r, 60));
    expect(await view.round(10_000)).toBe(first);
    const second = await view.round();
    expect(second).not.toBe(first);
    expect(second.library("lib").rows.map((r) => r.vectors)).toEqual([2, 2]);
    expect(rounds()).toBe(2);
  });

  it("gathers one round at a time: callers that come meanwhile share it", async () => {
    const { view, rounds } = viewOver(30);
    const answers = await Promise.all([view.round(0), view.round(0), view.round(1000)]);
    expect(rounds()).toBe(1);
    expect(new Set(answers).size).toBe(1);
  });

  it("answers no row for a library no shard reported", async () => {
    const { view } = viewOver(1);
    const round = await view.round();
    expect(round.library("other")).toEqual({ rows: [], vectorsByPartition: new Map() });
  });
});
