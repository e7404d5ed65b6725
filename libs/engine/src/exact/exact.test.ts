import { describe, expect, it } from "vitest";
import { randomVectors, referenceKnn } from "../test-support/reference.js";
import { exactNeighbours } from "./ground-truth.js";
import { recallAtK } from "./recall.js";

describe("exactNeighbours and recallAtK", () => {
  it("computes the reference neighbours", () => {
    const dim = 7;
    const base = randomVectors(300, dim, 1);
    const queries = randomVectors(5, dim, 2);
    const gt = exactNeighbours(base, 300, queries, 5, dim, 4, "l2");
    for (let q = 0; q < 5; q++) {
      expect(Array.from(gt.ids.subarray(q * 4, q * 4 + 4))).toEqual(
        referenceKnn("l2", base, dim, queries.subarray(q * dim, (q + 1) * dim), 4),
      );
    }
  });

  it("counts the true neighbours found among the first k", () => {
    const truth = new Uint32Array([1, 2, 3, 9, 4, 5, 6, 9]); // two queries, stride 4
    expect(
      recallAtK(
        [
          [3, 2, 1],
          [7, 8, 4],
        ],
        truth,
        4,
        3,
      ),
    ).toBeCloseTo(4 / 6, 10);
    expect(recallAtK([[1], [4, 5, 6]], truth, 4, 3)).toBeCloseTo(4 / 6, 10);
    expect(() => recallAtK([[1]], truth, 4, 5)).toThrow(RangeError);
  });
});
