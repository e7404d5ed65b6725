import { describe, expect, it } from "vitest";
import { isEngineError } from "../errors.js";
import { Rng } from "../random.js";
import { KernelWorkspace } from "./kernel-workspace.js";
import type { Region, RegionSet } from "./region.js";

const MIB = 1 << 20;

/** Writes a pattern derived from `seed` over the region's bytes. */
function paint(region: Region, seed: number, bytes = region.bytes): void {
  const u8 = region.mem.u8;
  for (let i = 0; i < bytes; i++) u8[region.offset + i] = (seed * 31 + i * 7) & 0xff;
}

function painted(region: Region, seed: number, bytes = region.bytes): boolean {
  const u8 = region.mem.u8;
  for (let i = 0; i < bytes; i++)
    if (u8[region.offset + i] !== ((seed * 31 + i * 7) & 0xff)) return false;
  return true;
}

function zero(region: Region, from: number, to: number): boolean {
  const u8 = region.mem.u8;
  for (let i = from; i < to; i++) if (u8[region.offset + i] !== 0) return false;
  return true;
}

/** 100 painted sets of one region each, of which the first 10 remain: a workspace to compact. */
function tenOfHundredLeft() {
  const ws = new KernelWorkspace({ compactionMinBytes: MIB });
  const sets = Array.from({ length: 100 }, (_, i) => {
    const set = ws.open();
    paint(set.alloc(30_000), i);
    return set;
  });
  sets.slice(10).forEach((s) => s.dispose());
  return { ws, sets };
}

describe("RegionSet", () => {
  it("hands out zeroed regions, also where freed bytes are reused", () => {
    const ws = new KernelWorkspace();
    const set = ws.open();
    const a = set.alloc(4096);
    paint(a, 1);
    set.free(a);
    const b = set.alloc(4096);
    expect(b.offset).toBe(a.offset);
    expect(zero(b, 0, 4096)).toBe(true);
  });

  it("keeps the kept bytes when a region grows, in place or moved, and zeroes the rest", () => {
    const ws = new KernelWorkspace();
    const set = ws.open();
    const a = set.alloc(1000);
    paint(a, 2);
    const at = a.offset;
    set.grow(a, 5000); // the highest block: in place
    expect(a.offset).toBe(at);
    expect(painted(a, 2, 1000)).toBe(true);
    expect(zero(a, 1000, 5000)).toBe(true);
    const b = set.alloc(64); // now `a` cannot grow in place
    paint(a, 3, 5000);
    set.grow(a, 20_000);
    expect(a.offset).not.toBe(at);
    expect(painted(a, 3, 5000)).toBe(true);
    expect(zero(a, 5000, 20_000)).toBe(true);
    // the old block is free again: a new region takes it
    expect(set.alloc(4096).offset).toBe(at);
    expect(b.offset).toBeLessThan(a.offset);
  });

  it("gives its blocks back when disposed, and refuses to allocate after", () => {
    const ws = new KernelWorkspace();
    const keep = ws.open();
    keep.alloc(100);
    const before = ws.figures().regionBytes;
    const set = ws.open();
    for (let i = 0; i < 10; i++) set.alloc(10_000);
    expect(ws.figures().regionBytes).toBeGreaterThan(before + 100_000);
    set.dispose();
    set.dispose(); // idempotent
    expect(ws.figures().regionBytes).toBe(before);
    let error: unknown;
    try {
      set.alloc(10);
    } catch (e) {
      error = e;
    }
    expect(isEngineError(error, "DISPOSED")).toBe(true);
  });
});

describe("KernelWorkspace", () => {
  it("places every set in one memory while it has room", () => {
    const ws = new KernelWorkspace();
    const sets = Array.from({ length: 1000 }, () => ws.open());
    sets.forEach((s, i) => paint(s.alloc(256 + (i % 7) * 64), i));
    expect(ws.figures().memories).toBe(1);
    expect(ws.figures().regionSets).toBe(1000);
    sets.forEach((s, i) => expect(painted([...s.regions][0], i)).toBe(true));
  });

  it("moves a set whose memory is full to another memory, its bytes intact", () => {
    const ws = new KernelWorkspace({ memoryLimitBytes: MIB });
    const sets: RegionSet[] = [];
    // 12 sets of 100 KiB cannot share one memory of 1 MiB
    for (let i = 0; i < 12; i++) {
      const set = ws.open();
      paint(set.alloc(50_000), i);
      sets.push(set);
    }
    for (const set of sets) paint([...set.regions][0], sets.indexOf(set), 50_000);
    for (const set of sets) set.grow([...set.regions][0], 100_000, 50_000);
    const figures = ws.figures();
    expect(figures.memories).toBeGreaterThan(1);
    expect(figures.regionBytes).toBeGreaterThan(MIB);
    sets.forEach((set, i) => {
      const region = [...set.regions][0];
      expect(painted(region, i, 50_000)).toBe(true);
      expect(zero(region, 50_000, 100_000)).toBe(true);
    });
    // every set lives in one memory, within that memory's limit
    for (const mem of ws.memoryList()) for (const set of mem.sets) expect(set.mem).toBe(mem);
  });

  it("refuses a set larger than one memory", () => {
    const ws = new KernelWorkspace({ memoryLimitBytes: MIB });
    let error: unknown;
    try {
      ws.open().alloc(2 * MIB);
    } catch (e) {
      error = e;
    }
    expect(isEngineError(error, "CAPACITY_EXCEEDED")).toBe(true);
  });

  it("drops a memory once its last set is gone", () => {
    const ws = new KernelWorkspace({ memoryLimitBytes: MIB });
    const first = ws.open();
    first.alloc(800_000);
    const second = ws.open();
    second.alloc(800_000); // does not fit: a second memory
    expect(ws.figures().memories).toBe(2);
    first.dispose();
    expect(ws.figures().memories).toBe(1);
    expect(ws.figures().memoriesCreated).toBe(2);
  });

  it("compacts a mostly free memory in bounded steps, keeping every live byte", () => {
    const ws = new KernelWorkspace({ compactionMinBytes: MIB });
    const rng = new Rng(3);
    const sets = Array.from({ length: 400 }, (_, i) => {
      const set = ws.open();
      paint(set.alloc(1000 + rng.int(20_000)), i);
      paint(set.alloc(100 + rng.int(2000)), i + 1);
      return set;
    });
    const touched = ws.figures().touchedBytes;
    // free most of it, scattered
    const live = sets.filter((s, i) => (i % 5 === 0 ? true : (s.dispose(), false)));
    expect(ws.needsCompaction()).toBe(true);
    let steps = 0;
    while (ws.compactStep(128 * 1024)) {
      steps++;
      const f = ws.figures();
      expect(f.compacting || !ws.needsCompaction()).toBe(true);
    }
    expect(steps).toBeGreaterThan(3); // bounded: it took several steps
    const after = ws.figures();
    expect(after.memories).toBe(1);
    expect(after.compacting).toBe(false);
    expect(after.touchedBytes).toBeLessThan(touched / 2);
    live.forEach((set) => {
      const i = sets.indexOf(set);
      const [a, b] = [...set.regions];
      expect(painted(a, i)).toBe(true);
      expect(painted(b, i + 1)).toBe(true);
      expect(set.mem).toBe(ws.memoryList()[0]);
    });
    expect(ws.needsCompaction()).toBe(false);
  });

  it("lets sets allocate while a compaction is under way", () => {
    const { ws, sets } = tenOfHundredLeft();
    expect(ws.compactStep(1)).toBe(true); // one set moved, nine to go
    const source = ws.memoryList().find((m) => m.draining)!;
    const waiting = sets.slice(0, 10).find((s) => s.mem === source)!;
    // a set still in the draining memory moves as soon as it allocates
    const extra = waiting.alloc(1000);
    expect(waiting.mem).not.toBe(source);
    paint(extra, 99);
    const fresh = ws.open();
    expect(fresh.mem).not.toBe(source);
    ws.compact();
    expect(ws.figures().memories).toBe(1);
    sets.slice(0, 10).forEach((set, i) => expect(painted([...set.regions][0], i)).toBe(true));
    expect(painted(extra, 99)).toBe(true);
  });

  it("moves no region while pinned, and compacts once released", () => {
    const { ws, sets } = tenOfHundredLeft();
    const where = sets.slice(0, 10).map((s) => [s.mem, [...s.regions][0].offset]);
    const release = ws.pin();
    expect(ws.needsCompaction()).toBe(false);
    expect(ws.compactStep(Infinity)).toBe(false);
    expect(sets.slice(0, 10).map((s) => [s.mem, [...s.regions][0].offset])).toEqual(where);
    release();
    release(); // a second call changes nothing
    expect(ws.needsCompaction()).toBe(true);
    ws.compact();
    expect(ws.figures().memories).toBe(1);
    sets.slice(0, 10).forEach((set, i) => expect(painted([...set.regions][0], i)).toBe(true));
  });
});

describe("KernelWorkspace's transient memories", () => {
  it("keeps transient sets apart from lasting ones", () => {
    const ws = new KernelWorkspace();
    const lasting = ws.open();
    const transient = ws.open({ transient: true });
    const later = ws.open();
    expect(transient.mem).not.toBe(lasting.mem);
    expect(later.mem).toBe(lasting.mem);
    expect(ws.isTransient(transient.mem)).toBe(true);
    expect(ws.isTransient(lasting.mem)).toBe(false);
    expect(ws.open({ transient: true }).mem).toBe(transient.mem);
    expect(ws.figures().transientMemories).toBe(1);
  });

  it("gives a transient memory's pages back once its sets are freed (the exact phase's switch)", () => {
    const ws = new KernelWorkspace();
    const lasting = ws.open();
    paint(lasting.alloc(100_000), 1);
    const committedLasting = ws.figures().committedBytes;
    // exact phases filled, then replaced by their (smaller) trained indexes
    const exact = Array.from({ length: 20 }, (_, i) => {
      const set = ws.open({ transient: true });
      const region = set.alloc(1000);
      for (const bytes of [10_000, 60_000, 130_000]) set.grow(region, bytes);
      paint(region, i);
      return set;
    });
    const before = ws.figures();
    expect(before.transientMemories).toBe(1);
    expect(before.transientCommittedBytes).toBeGreaterThan(20 * 130_000);
    const trained = exact.map((set, i) => {
      const codes = ws.open();
      paint(codes.alloc(32_000), i);
      set.dispose();
      return codes;
    });
    const after = ws.figures();
    expect(after.transientMemories).toBe(0);
    expect(after.transientCommittedBytes).toBe(0);
    expect(after.memories).toBe(1);
    expect(after.memoriesCreated).toBe(2);
    // what is left is the lasting memory, grown by the codes only
    expect(after.committedBytes).toBeLessThan(committedLasting + 20 * 32_000 + 2 * MIB);
    trained.forEach((set, i) => expect(painted([...set.regions][0], i)).toBe(true));
    // the next exact phase opens a new transient memory
    expect(ws.isTransient(ws.open({ transient: true }).mem)).toBe(true);
  });

  it("moves the survivors of a half-free transient memory to another transient one, whose pages go back once they are freed too", () => {
    const ws = new KernelWorkspace({ transientCompactionMinBytes: MIB });
    const lasting = ws.open();
    lasting.alloc(1000);
    const lastingTouched = ws.figures().touchedBytes;
    const sets = Array.from({ length: 60 }, (_, i) => {
      const set = ws.open({ transient: true });
      paint(set.alloc(40_000), i);
      return set;
    });
    const transientMem = sets[0].mem;
    expect(ws.needsCompaction()).toBe(false);
    // two in three train and go; the third trains late (or never: a sample that never fills)
    const stay = sets.filter((s, i) => (i % 3 === 0 ? true : (s.dispose(), false)));
    expect(ws.needsCompaction()).toBe(true);
    ws.compact();
    let f = ws.figures();
    expect(f.transientMemories).toBe(1);
    expect(f.memories).toBe(2);
    expect(ws.memoryList()).not.toContain(transientMem);
    stay.forEach((set) => {
      expect(set.mem).not.toBe(lasting.mem);
      expect(ws.isTransient(set.mem)).toBe(true);
      expect(painted([...set.regions][0], sets.indexOf(set))).toBe(true);
    });
    // survivors allocate in their transient memory, and new exact phases join them there
    stay[0].alloc(1000);
    expect(ws.isTransient(stay[0].mem)).toBe(true);
    const next = ws.open({ transient: true });
    expect(next.mem).toBe(stay[0].mem);
    // the late trainings come: nothing of the exact phases stays, in any memory
    for (const set of [...stay, next]) set.dispose();
    ws.compact();
    f = ws.figures();
    expect(f.transientMemories).toBe(0);
    expect(f.memories).toBe(1);
    expect(f.touchedBytes).toBe(lastingTouched);
  });

  it("compacts a transient memory once a quarter of it is free, not before", () => {
    const ws = new KernelWorkspace({ transientCompactionMinBytes: MIB });
    const sets = Array.from({ length: 40 }, () => {
      const set = ws.open({ transient: true });
      set.alloc(40_000);
      return set;
    });
    // a fifth trained: the survivors stay where they are
    sets.slice(0, 8).forEach((set) => set.dispose());
    expect(ws.needsCompaction()).toBe(false);
    // a third: moved, and the memory that held them goes
    sets.slice(8, 14).forEach((set) => set.dispose());
    expect(ws.needsCompaction()).toBe(true);
    const before = ws.figures();
    ws.compact();
    const after = ws.figures();
    expect(after.regionBytes).toBe(before.regionBytes);
    expect(after.touchedBytes).toBeLessThan(before.touchedBytes * 0.7);
    expect(after.transientMemories).toBe(1);
  });

  it("moves a full transient set to another transient memory, never a lasting one", () => {
    const ws = new KernelWorkspace({ memoryLimitBytes: MIB });
    const lasting = ws.open();
    lasting.alloc(1000);
    const a = ws.open({ transient: true });
    a.alloc(600_000);
    const b = ws.open({ transient: true });
    const region = b.alloc(100_000);
    paint(region, 7);
    b.grow(region, 500_000, 100_000);
    expect(b.mem).not.toBe(a.mem);
    expect(b.mem).not.toBe(lasting.mem);
    expect(ws.isTransient(b.mem)).toBe(true);
    expect(painted(region, 7, 100_000)).toBe(true);
    expect(ws.figures().transientMemories).toBe(2);
  });
});
