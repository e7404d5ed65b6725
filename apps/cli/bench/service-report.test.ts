import { describe, expect, it } from "vitest";
import {
  bestAtRecall,
  markdownTable,
  median,
  parseServerTiming,
  percentile,
  phaseStats,
  ratio,
  recallAtK,
  summarize,
} from "./service-report.js";

describe("recallAtK", () => {
  it("counts the true neighbours among the first k answered, over every query", () => {
    const truth = Uint32Array.from([1, 2, 3, 7, 8, 9]); // k = 3, two queries
    expect(
      recallAtK(
        [
          [3, 2, 1],
          [9, 8, 7],
        ],
        truth,
        3,
      ),
    ).toBe(1);
    expect(
      recallAtK(
        [
          [1, 5, 6],
          [7, 8, 0],
        ],
        truth,
        3,
      ),
    ).toBeCloseTo(3 / 6);
    // answers past k do not count, short answers count what they have
    expect(recallAtK([[5, 6, 4, 1], [7]], truth, 3)).toBeCloseTo(1 / 6);
    expect(recallAtK([], truth, 3)).toBe(0);
  });
});

describe("percentile, median, summarize", () => {
  it("takes the nearest rank", () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile([4], 99)).toBe(4);
    expect(percentile([], 50)).toBeNaN();
  });

  it("medians odd and even counts", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it("summarizes latencies in any order", () => {
    expect(summarize([3, 1, 2, 4])).toEqual({ mean_ms: 2.5, p50_ms: 2, p99_ms: 4 });
  });
});

describe("bestAtRecall", () => {
  const point = (ef: number, qps: number, recall: number) => ({
    system: "s",
    connections: 8,
    ef,
    qps,
    recall_at_10: recall,
  });

  it("is the fastest point that reaches the recall", () => {
    const points = [
      point(16, 2000, 0.98),
      point(24, 1500, 0.99),
      point(32, 1600, 0.995),
      point(64, 900, 0.999),
    ];
    expect(bestAtRecall(points, 0.99)?.ef).toBe(32);
    expect(bestAtRecall(points, 0.98)?.ef).toBe(16);
  });

  it("is undefined when no point reaches it", () => {
    expect(bestAtRecall([point(16, 2000, 0.9)], 0.99)).toBeUndefined();
    expect(bestAtRecall([], 0.99)).toBeUndefined();
  });

  it("ratio needs both sides", () => {
    expect(ratio(13, 10)).toBeCloseTo(1.3);
    expect(ratio(undefined, 10)).toBeUndefined();
    expect(ratio(1, undefined)).toBeUndefined();
  });
});

describe("parseServerTiming", () => {
  it("reads each metric's dur, ignoring other parameters", () => {
    expect(
      parseServerTiming('parse;dur=0.052, validate;dur=0.310;desc="schema", cache, total;dur=1.5'),
    ).toEqual({
      parse: 0.052,
      validate: 0.31,
      cache: 0,
      total: 1.5,
    });
    expect(parseServerTiming(undefined)).toEqual({});
    expect(parseServerTiming("")).toEqual({});
  });

  it("adds up a metric named twice", () => {
    expect(parseServerTiming("search;dur=1, search;dur=0.5")).toEqual({ search: 1.5 });
  });

  it("phaseStats counts a phase a request lacks as 0", () => {
    const stats = phaseStats([{ search: 1, rerank: 0.5 }, { search: 3 }], ["search", "rerank"]);
    expect(stats.search.mean_ms).toBe(2);
    expect(stats.rerank.mean_ms).toBe(0.25);
  });
});

describe("markdownTable", () => {
  it("aligns numeric columns right", () => {
    expect(
      markdownTable(
        ["system", "QPS"],
        [
          ["a", "1,234"],
          ["bb", 5],
        ],
      ),
    ).toBe(
      ["| system |   QPS |", "| ------ | ----: |", "| a      | 1,234 |", "| bb     |     5 |"].join(
        "\n",
      ),
    );
  });
});
