import { decodeShardRpc, encodeShardRpc, type ShardRpcReply } from "@quiver/api";
import { describe, expect, it } from "vitest";
import {
  MAX_REPLY_BYTES,
  ReplyAssembler,
  replyFrames,
  ReplyTooLargeError,
} from "./reply-frames.js";

/** A search reply of `hits` hits in one partition: about 30 bytes each once encoded. */
function searchReply(hits: number): ShardRpcReply {
  return {
    ok: true,
    search: {
      results: [
        {
          partition: 0,
          hits: [Array.from({ length: hits }, (_, i) => ({ id: `v${i}`, distance: i / 7 }))],
        },
      ],
    },
  };
}

describe("reply frames", () => {
  it("sends a reply that fits one message as it is", () => {
    const encoded = encodeShardRpc(searchReply(10));
    const frames = replyFrames(encoded, 1024 * 1024);
    expect(frames).toEqual([encoded]);
    expect(new ReplyAssembler().add(frames[0])).toBe(encoded);
  });

  it("cuts a larger reply into messages of at most max_payload, put back in any order", () => {
    const reply = searchReply(100_000);
    const encoded = encodeShardRpc(reply);
    expect(encoded.byteLength).toBeGreaterThan(2 * 1024 * 1024);
    const frames = replyFrames(encoded, 1024 * 1024);
    expect(frames.length).toBe(Math.ceil(encoded.byteLength / (1024 * 1024 - 9)));
    for (const f of frames) expect(f.byteLength).toBeLessThanOrEqual(1024 * 1024);
    const assembler = new ReplyAssembler();
    const shuffled = [frames[2], ...frames.slice(3).reverse(), frames[0], frames[1]];
    const results = shuffled.map((f) => assembler.add(f));
    expect(results.slice(0, -1).every((r) => r === undefined)).toBe(true);
    expect(decodeShardRpc(results.at(-1) as Uint8Array)).toEqual(reply);
  });

  it("says how much of a reply came, and refuses a frame of another reply", () => {
    const frames = replyFrames(encodeShardRpc(searchReply(50_000)), 256 * 1024);
    const assembler = new ReplyAssembler();
    assembler.add(frames[0]);
    expect(assembler.progress()).toBe(`1 of ${frames.length} frames`);
    const other = replyFrames(encodeShardRpc(searchReply(5_000)), 64 * 1024);
    expect(() => assembler.add(other[0])).toThrow(/does not belong/);
  });

  it("refuses a reply larger than a reply may be, saying what to ask for", () => {
    const huge = new Uint8Array(MAX_REPLY_BYTES + 1);
    expect(() => replyFrames(huge, 1024 * 1024)).toThrow(ReplyTooLargeError);
    expect(() => replyFrames(huge, 1024 * 1024)).toThrow(/fewer queries/);
  });
});
