import { describe, expect, it } from "vitest";
import { Rng } from "../random.js";
import { alignUp, BLOCK_ALIGN, FIRST_OFFSET, RegionAllocator } from "./region-allocator.js";

interface Block {
  offset: number;
  bytes: number;
}

function overlaps(blocks: Block[]): boolean {
  const sorted = [...blocks].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    if (prev.offset + alignUp(prev.bytes) > sorted[i].offset) return true;
  }
  return false;
}

describe("RegionAllocator", () => {
  it("hands out aligned, disjoint blocks from the start of the memory", () => {
    const a = new RegionAllocator(1 << 20);
    const x = a.alloc(10);
    const y = a.alloc(100);
    const z = a.alloc(64);
    expect([x, y, z]).toEqual([FIRST_OFFSET, FIRST_OFFSET + 64, FIRST_OFFSET + 64 + 128]);
    expect(a.top).toBe(FIRST_OFFSET + 256);
    expect(a.allocatedBytes).toBe(256);
    a.check();
  });

  it("coalesces freed neighbours and gives the highest block back to the wilderness", () => {
    const a = new RegionAllocator(1 << 20);
    const blocks = [0, 1, 2, 3, 4].map(() => a.alloc(BLOCK_ALIGN * 2));
    a.release(blocks[1]);
    a.release(blocks[3]);
    expect(a.freeBytes).toBe(4 * BLOCK_ALIGN);
    a.check();
    a.release(blocks[2]); // merges 1, 2 and 3 into one block
    a.check();
    expect(a.freeBytes).toBe(6 * BLOCK_ALIGN);
    // the merged block takes a request as large as the three together
    expect(a.alloc(6 * BLOCK_ALIGN)).toBe(blocks[1]);
    expect(a.freeBytes).toBe(0);
    a.release(blocks[4]);
    expect(a.top).toBe(blocks[4]);
    a.release(blocks[1]);
    a.release(blocks[0]);
    // everything merged back into the wilderness
    expect([a.top, a.freeBytes, a.allocatedBytes]).toEqual([FIRST_OFFSET, 0, 0]);
    expect(a.highWater).toBe(FIRST_OFFSET + 10 * BLOCK_ALIGN);
    a.check();
  });

  it("reuses freed space before it extends the top, splitting larger blocks", () => {
    const a = new RegionAllocator(1 << 20);
    const big = a.alloc(4096);
    a.alloc(64); // keeps `big` from returning to the wilderness
    a.release(big);
    const top = a.top;
    const small = a.alloc(1000);
    expect(small).toBe(big);
    expect(a.alloc(2000)).toBe(big + alignUp(1000));
    expect(a.top).toBe(top);
    a.check();
  });

  it("grows in place into the wilderness or a free neighbour, and refuses otherwise", () => {
    const a = new RegionAllocator(1 << 20);
    const x = a.alloc(128);
    const y = a.alloc(128);
    const z = a.alloc(128);
    expect(a.growInPlace(z, 1024)).toBe(true); // the highest block: into the wilderness
    expect(a.top).toBe(z + 1024);
    expect(a.growInPlace(x, 256)).toBe(false); // y is in the way
    a.release(y);
    expect(a.growInPlace(x, 192)).toBe(true); // into part of y's space
    expect(a.sizeOf(x)).toBe(192);
    expect(a.freeBytes).toBe(64);
    a.check();
    expect(a.growInPlace(x, 1 << 20)).toBe(false);
  });

  it("refuses what the limit (or a lower ceiling) cannot hold", () => {
    const a = new RegionAllocator(64 * 1024);
    expect(a.alloc(64 * 1024)).toBe(-1);
    expect(a.alloc(32 * 1024, 16 * 1024)).toBe(-1);
    expect(a.alloc(32 * 1024)).toBe(FIRST_OFFSET);
    a.check();
  });

  it("keeps its invariants and never overlaps under random allocs, grows and frees", () => {
    const rng = new Rng(17);
    const a = new RegionAllocator(64 << 20);
    const live: Block[] = [];
    let failures = 0;
    for (let step = 0; step < 20_000; step++) {
      const op = rng.int(10);
      if (op < 5 || live.length === 0) {
        // sizes spread over small and large bins
        const bytes = 1 + Math.floor(2 ** (rng.next() * 17));
        const offset = a.alloc(bytes);
        if (offset < 0) failures++;
        else live.push({ offset, bytes });
      } else if (op < 8) {
        const i = rng.int(live.length);
        a.release(live[i].offset);
        live.splice(i, 1);
      } else {
        const b = live[rng.int(live.length)];
        const bytes = b.bytes + 1 + rng.int(8192);
        if (a.growInPlace(b.offset, bytes)) b.bytes = bytes;
      }
      if (step % 500 === 0) {
        a.check();
        expect(overlaps(live)).toBe(false);
      }
    }
    a.check();
    expect(overlaps(live)).toBe(false);
    expect(failures).toBe(0);
    expect(a.allocatedBytes).toBe(live.reduce((s, b) => s + a.sizeOf(b.offset), 0));
    // freed space is reused: the memory touched stays within a small multiple of what is live
    expect(a.highWater).toBeLessThan(4 * a.allocatedBytes + (1 << 20));
    for (const b of live) a.release(b.offset);
    expect([a.top, a.freeBytes, a.allocatedBytes]).toEqual([FIRST_OFFSET, 0, 0]);
    a.check();
  });
});
