import { describe, expect, it } from "vitest";
import { isApiError } from "../errors.js";
import { compileFilter } from "./compile-filter.js";

const doc = { genre: "news", year: 2021, tags: ["a", "b"], nested: { level: 2 }, none: null };

describe("compileFilter", () => {
  it.each([
    [{ genre: "news" }, true],
    [{ genre: "sport" }, false],
    [{ year: { $gte: 2021, $lt: 2022 } }, true],
    [{ year: { $gt: 2021 } }, false],
    [{ year: { $gt: "2000" } }, false], // a string bound never matches a number
    [{ genre: { $in: ["news", "sport"] } }, true],
    [{ genre: { $nin: ["news"] } }, false],
    [{ tags: "b" }, true], // an array field matches when one element does
    [{ tags: { $ne: "b" } }, false],
    [{ tags: { $nin: ["c"] } }, true],
    [{ missing: { $ne: 1 } }, true],
    [{ missing: 1 }, false],
    [{ missing: { $exists: false } }, true],
    [{ none: { $exists: true } }, true],
    [{ none: null }, true],
    [{ "nested.level": 2 }, true],
    [{ $or: [{ genre: "sport" }, { year: 2021 }] }, true],
    [{ $and: [{ genre: "news" }, { year: 2020 }] }, false],
    [{ $not: { genre: "news" } }, false],
    [{ year: { $not: { $lt: 2000 } } }, true],
  ])("%j -> %s", (filter, expected) => {
    expect(compileFilter(filter)(doc)).toBe(expected);
  });

  it("treats no metadata as an empty object", () => {
    expect(compileFilter({ a: { $exists: false } })(null)).toBe(true);
    expect(compileFilter({ a: 1 })(null)).toBe(false);
  });

  it.each([
    [[], "filter must be an object"],
    [{ a: { $regex: "x" } }, "filter.a.$regex"],
    [{ $or: [] }, "filter.$or"],
    [{ $and: [{ a: 1 }, 3] }, "filter.$and[1]"],
    [{ a: [1] }, "filter.a"],
    [{ a: { b: 1 } }, "filter.a.b"],
    [{ a: { $in: [{}] } }, "filter.a.$in[0]"],
    [{ a: { $gt: true } }, "filter.a.$gt"],
    [{ a: { $exists: 1 } }, "filter.a.$exists"],
    [{ a: {} }, "filter.a"],
    [{ $nor: [] }, "filter.$nor"],
  ])("rejects %j naming %s", (filter, field) => {
    let error: unknown;
    try {
      compileFilter(filter);
    } catch (e) {
      error = e;
    }
    expect(isApiError(error, "INVALID_FILTER")).toBe(true);
    expect((error as Error).message).toContain(field);
  });
});
