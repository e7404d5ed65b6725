import { describe, expect, it } from "vitest";
import { memoryLimitBytes } from "./memory-limit.js";

describe("memoryLimitBytes", () => {
  it("takes QUIVER_SHARD_MEMORY_LIMIT_BYTES first and rejects nonsense", () => {
    expect(memoryLimitBytes({ QUIVER_SHARD_MEMORY_LIMIT_BYTES: "2147483648" })).toBe(2 ** 31);
    expect(() => memoryLimitBytes({ QUIVER_SHARD_MEMORY_LIMIT_BYTES: "lots" })).toThrow(
      /QUIVER_SHARD_MEMORY_LIMIT_BYTES must be a positive number/,
    );
  });
});
