import type { ShardSearchRequest, ShardSearchResponse } from "@quiver/api";
import { describe, expect, it } from "vitest";
import { joinHalves, searchHalves } from "./search-halves.js";

const DIM = 3;
const request = (queries: number): ShardSearchRequest => ({
  libraryId: "lib",
  partitions: [0, 1],
  queries: Float32Array.from({ length: queries * DIM }, (_, i) => i),
  dimension: DIM,
  k: 2,
  includeMetadata: false,
  includeVectors: false,
  timeoutMs: 1000,
});
const hits = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, q) => [{ id: `q${from + q}`, distance: from + q }]);

describe("a search in halves", () => {
  it("cuts the queries, the first half holding the odd one", () => {
    expect(searchHalves(request(1))).toBeUndefined();
    const halves = searchHalves(request(5));
    if (!halves) throw new Error("5 queries are cut in two");
    const [a, b] = halves;
    expect(Array.from(a.queries)).toEqual(Array.from(request(5).queries.subarray(0, 3 * DIM)));
    expect(Array.from(b.queries)).toEqual(Array.from(request(5).queries.subarray(3 * DIM)));
    expect(a).toMatchObject({ partitions: [0, 1], k: 2, dimension: DIM });
  });

  it("answers each partition's lists in query order, a failed half failing the partition", () => {
    const first: ShardSearchResponse = {
      results: [
        { partition: 0, hits: hits(0, 3) },
        { partition: 1, hits: hits(0, 3) },
      ],
      timings: { searchMs: 2, rerankMs: 1 },
    };
    const second: ShardSearchResponse = {
      results: [
        { partition: 1, error: { code: "TIMEOUT", message: "late" } },
        { partition: 0, hits: hits(3, 5) },
      ],
      timings: { searchMs: 5, rerankMs: 0 },
    };
    expect(joinHalves(first, second)).toEqual({
      results: [
        { partition: 0, hits: hits(0, 5) },
        { partition: 1, error: { code: "TIMEOUT", message: "late" } },
      ],
      timings: { searchMs: 5, rerankMs: 0 },
    });
  });
});
