import type { LibraryPartitionStats } from "@quiver/api";
import { describe, expect, it } from "vitest";
import { NodeStatsPages } from "./node-stats-pages.js";

const row = (libraryId: string, partition: number, vectors = 1): LibraryPartitionStats => ({
  libraryId,
  partition,
  vectors,
  phase: "exact",
  index: { vectors: 0, quantizer: 0, graph: 0, originals: 0, other: 0, total: 0 },
  metadataBytes: 0,
  strategy: "none",
});

/** Pages over a node whose libraries are `rows()` at each gathering; counts the gatherings. */
function pagesOver(rows: () => LibraryPartitionStats[]) {
  let gatherings = 0;
  const pages = new NodeStatsPages(async () => {
    gatherings++;
    return rows();
  });
  return { pages, gatherings: () => gatherings };
}

describe("NodeStatsPages", () => {
  it("answers every row in one page without a limit, by partition then library", async () => {
    const { pages } = pagesOver(() => [row("b", 1), row("a", 1), row("c", 0)]);
    const page = await pages.page({});
    expect(page.rows.map((r) => `${r.partition}${r.libraryId}`)).toEqual(["0c", "1a", "1b"]);
    expect(page.next).toBeUndefined();
    expect(page.gathering).toBeUndefined();
    expect(pages.keptCount).toBe(0);
  });

  it("reads a round's pages from one gathering, which the last page lets go", async () => {
    let vectors = 1;
    const { pages, gatherings } = pagesOver(() =>
      Array.from({ length: 25 }, (_, i) => row(`lib${String(i).padStart(2, "0")}`, 0, vectors)),
    );
    const seen: LibraryPartitionStats[] = [];
    let request: { offset?: number; limit: number; gathering?: string } = { limit: 10 };
    for (;;) {
      const page = await pages.page(request);
      seen.push(...page.rows);
      // the node's libraries change between pages: the round's pages still agree
      vectors++;
      if (page.next === undefined) break;
      request = { offset: page.next, limit: 10, gathering: page.gathering };
    }
    expect(gatherings()).toBe(1);
    expect(seen.map((r) => r.libraryId)).toEqual(
      Array.from({ length: 25 }, (_, i) => `lib${String(i).padStart(2, "0")}`),
    );
    expect(new Set(seen.map((r) => r.vectors))).toEqual(new Set([1]));
    expect(pages.keptCount).toBe(0);
  });

  it("gathers again for a first page, or for a gathering it no longer keeps", async () => {
    const { pages, gatherings } = pagesOver(() => [row("a", 0), row("b", 0), row("c", 0)]);
    const first = await pages.page({ limit: 2 });
    expect(first.gathering).toBeDefined();
    await pages.page({ limit: 2 });
    expect(gatherings()).toBe(2);
    const rest = await pages.page({ offset: 2, limit: 2, gathering: "gone" });
    expect(rest.rows.map((r) => r.libraryId)).toEqual(["c"]);
    expect(gatherings()).toBe(3);
  });

  it("keeps a bounded number of unfinished rounds", async () => {
    const { pages } = pagesOver(() => [row("a", 0), row("b", 0)]);
    for (let i = 0; i < 20; i++) await pages.page({ limit: 1 });
    expect(pages.keptCount).toBe(8);
  });
});
