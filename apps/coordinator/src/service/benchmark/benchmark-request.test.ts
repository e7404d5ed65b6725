import { isApiError } from "@quiver/api";
import { describe, expect, it } from "vitest";
import { resolveStrategies, resolveTestQueries } from "./benchmark-request.js";

function fieldOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    if (isApiError(error)) return error.details.field;
    throw error;
  }
  throw new Error("expected an API error");
}

describe("resolveStrategies", () => {
  it("defaults to the four concrete strategies, resolved for the dimension", () => {
    const all = resolveStrategies(undefined, 64);
    expect(all.map((s) => s.strategy)).toEqual(["none", "scalar", "product", "hybrid"]);
    expect(all[2]).toMatchObject({ subvectors: 8, codebook_size: 256 });
    expect(all[3]).toMatchObject({ initial_search: "scalar", rerank_top_k: 100 });
  });

  it("takes names and config objects", () => {
    const [h] = resolveStrategies([{ strategy: "hybrid", initial_search: "product" }], 64);
    expect(h).toMatchObject({ strategy: "hybrid", initial_search: "product", subvectors: 8 });
  });

  it("names the entry at fault", () => {
    expect(fieldOf(() => resolveStrategies(["none", "fancy"], 64))).toBe("strategies[1].strategy");
    expect(fieldOf(() => resolveStrategies([{ strategy: "product", subvectors: 5 }], 64))).toBe(
      "strategies[0].subvectors",
    );
    expect(fieldOf(() => resolveStrategies(["adaptive"], 64))).toBe("strategies[0].strategy");
    expect(fieldOf(() => resolveStrategies([3], 64))).toBe("strategies[0]");
  });
});

describe("resolveTestQueries", () => {
  it("draws 100 from the library by default, or the count asked", () => {
    expect(resolveTestQueries(undefined, 4)).toEqual({ source: "library", count: 100 });
    expect(resolveTestQueries(7, 4)).toEqual({ source: "library", count: 7 });
  });

  it("takes the caller's queries, row by row", () => {
    const q = resolveTestQueries(
      [
        [1, 2],
        [3, 4],
      ],
      2,
    );
    expect(q).toMatchObject({ source: "request", count: 2 });
    expect(q.source === "request" && [...q.vectors]).toEqual([1, 2, 3, 4]);
  });

  it("names the query at fault", () => {
    expect(fieldOf(() => resolveTestQueries(0, 2))).toBe("test_queries");
    expect(fieldOf(() => resolveTestQueries(1.5, 2))).toBe("test_queries");
    expect(fieldOf(() => resolveTestQueries([], 2))).toBe("test_queries");
    expect(fieldOf(() => resolveTestQueries([[1, 2], [1]], 2))).toBe("test_queries[1]");
    expect(fieldOf(() => resolveTestQueries([[1, "x"]], 2))).toBe("test_queries[0][1]");
    expect(fieldOf(() => resolveTestQueries("many", 2))).toBe("test_queries");
  });
});
