import { describe, expect, it } from "vitest";
import { mergeTopK } from "./search-service.js";
import { decodeWriteToken, encodeWriteToken, mergeWriteTokens } from "./write-token.js";

describe("mergeTopK", () => {
  it("takes the k smallest distances across partitions, ties by id", () => {
    const merged = mergeTopK(
      [
        [
          { id: "a", distance: 0.1 },
          { id: "c", distance: 0.5 },
        ],
        [
          { id: "b", distance: 0.2 },
          { id: "d", distance: 0.5 },
        ],
        [],
      ],
      3,
    );
    expect(merged.map((h) => h.id)).toEqual(["a", "b", "c"]);
  });
});

describe("write tokens", () => {
  it("round-trip and merge by the larger sequence", () => {
    const a = { libraryId: "lib_1", seqs: { 0: 5, 1: 9 } };
    const b = { libraryId: "lib_1", seqs: { 1: 7, 2: 3 } };
    expect(decodeWriteToken(encodeWriteToken(a))).toEqual(a);
    expect(mergeWriteTokens(a, b).seqs).toEqual({ 0: 5, 1: 9, 2: 3 });
  });

  it("rejects text that is not a token, naming the field", () => {
    for (const text of [
      "",
      "v1.",
      "v2.abc",
      `v1.${Buffer.from('{"l":1}').toString("base64url")}`,
    ]) {
      expect(() => decodeWriteToken(text)).toThrow(/write_token/);
    }
  });
});
