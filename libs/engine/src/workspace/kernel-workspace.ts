import { EngineError, EngineErrorCode } from "../errors.js";
import { KernelMemory, memoryLimitOf, regionCeilingOf } from "../kernels/kernel-memory.js";
import { alignUp, FIRST_OFFSET } from "../kernels/region-allocator.js";
import { Compaction } from "./compaction.js";
import { RegionSet } from "./region.js";

export interface KernelWorkspaceOptions {
  /** Most bytes one memory holds: 4 GiB (Wasm32's limit) by default; tests use less. */
  memoryLimitBytes?: number;
  /** A memory is compacted only once it has touched this many bytes (64 MiB by default). */
  compactionMinBytes?: number;
  /** ... and only when at least this share of them is free (0.5 by default). */
  compactionFreeShare?: number;
  /** A transient memory is compacted once it has touched this many bytes (1 MiB by default)... */
  transientCompactionMinBytes?: number;
  /**
   * ... and at least this share of them is free (0.25 by default: the survivors are few and
   * small to copy, and a memory left up to half free held 77 KiB per library of 1,000).
   */
  transientCompactionFreeShare?: number;
}

export interface OpenOptions {
  /**
   * The set is expected to be freed soon and as a whole (a library's exact phase before its
   * training replaces it): it goes to a transient memory, which is dropped once its sets are
   * gone, so that what they held goes back to the OS instead of leaving holes in a memory that
   * lives on. Sets that outlive most of their transient memory move to another transient memory.
   */
  transient?: boolean;
}

/** What a workspace holds, for node-level metrics. */
export interface WorkspaceFigures {
  /** Wasm memories alive now, and created over the workspace's life. */
  memories: number;
  /** Transient memories alive now (counted in `memories` too) and the bytes they hold. */
  transientMemories: number;
  transientCommittedBytes: number;
  memoriesCreated: number;
  /** Pages the memories hold (address space committed; resident only where touched). */
  committedBytes: number;
  /** Bytes the memories have touched at least once: the bound of their resident pages. */
  touchedBytes: number;
  /** Blocks allocated to index regions (records, parameters, cache slabs). */
  regionBytes: number;
  /** The shared scratch: Wasm blocks and the JS buffers beside them. */
  scratchBytes: number;
  /** Committed bytes in neither regions nor scratch (free blocks and unused pages). */
  freeBytes: number;
  /** Owners of regions alive (indexes, caches, scans). */
  regionSets: number;
  compacting: boolean;
}

/**
 * The kernel memory of one thread, shared by every index the thread builds: a few Wasm memories
 * (usually one) instead of one per index, since V8 reserves ~10 GiB of address space for each
 * and a thread runs out after some thousands. An index allocates its regions in a RegionSet the
 * workspace places in a memory; the memory's shared scratch serves every index placed there.
 *
 * - Placement: a new set goes to the current memory. A request its memory cannot hold moves the
 *   set to another memory with room, or to a new memory (so a thread may hold more than 4 GiB).
 * - Compaction: Wasm memories never shrink, so after many indexes are freed their pages stay
 *   resident. `compactStep` moves the live sets of a mostly free memory into another one, in
 *   bounded steps a serving thread interleaves with searches, then drops the emptied memory.
 *   A memory left with no set is dropped at once.
 * - Transient sets (`open({ transient: true })`) live in memories of their own, which no lasting
 *   set shares: once their sets are disposed the memory is dropped, even the current one, and its
 *   pages go back to the OS. A transient memory a quarter free is compacted into another transient
 *   memory, at lower thresholds than lasting ones: its survivors stay transient, since most
 *   are exact phases whose training is only late (promoted to a lasting memory, they left holes
 *   there when it came: 48 KiB per library of a 3,000-library node).
 *
 * Single-threaded by design: one thread uses a workspace, and each index operation (search,
 * upsert, delete) runs to completion synchronously, so indexes share scratch safely. Regions move
 * only inside an allocation (at the start of an operation) or in `compactStep`, never while an
 * operation runs.
 */
export class KernelWorkspace {
  readonly memoryLimitBytes: number;
  private readonly compactionMinBytes: number;
  private readonly compactionFreeShare: number;
  private readonly transientMinBytes: number;
  private readonly transientFreeShare: number;
  private readonly memories: KernelMemory[] = [];
  private current: KernelMemory | undefined;
  /** The memories of transient sets (a subset of `memories`), and the one new sets go to. */
  private readonly transients = new Set<KernelMemory>();
  private currentTransient: KernelMemory | undefined;
  private created = 0;
  private compaction: Compaction | undefined;
  /** Holders that need every region to stay where it is (see `pin`). */
  private pins = 0;

  constructor(options: KernelWorkspaceOptions = {}) {
    this.memoryLimitBytes = memoryLimitOf(options.memoryLimitBytes);
    this.compactionMinBytes = options.compactionMinBytes ?? 64 << 20;
    this.compactionFreeShare = options.compactionFreeShare ?? 0.5;
    this.transientMinBytes = options.transientCompactionMinBytes ?? 1 << 20;
    this.transientFreeShare = options.transientCompactionFreeShare ?? 0.25;
  }

  /** A new, empty set of regions for one owner, placed in the current memory of its kind. */
  open(options: OpenOptions = {}): RegionSet {
    return new RegionSet(this, this.currentMemory(options.transient === true));
  }

  /** Whether `mem` holds transient sets only. */
  isTransient(mem: KernelMemory): boolean {
    return this.transients.has(mem);
  }

  /**
   * Moves `set` to a memory that can hold its regions plus `extraBytes` (a memory with room, or
   * a new one). Called by RegionSet when its memory is full or draining.
   */
  relocate(set: RegionSet, extraBytes: number): void {
    const need = set.bytes() + alignUp(extraBytes);
    const most = regionCeilingOf(this.memoryLimitBytes) - FIRST_OFFSET;
    if (need > most) {
      throw new EngineError(
        EngineErrorCode.CapacityExceeded,
        `an index can hold at most ${most} bytes of vectors, codes and parameters (one kernel ` +
          `memory); ${need} bytes requested`,
        { requestedBytes: need, maxBytes: most },
      );
    }
    const from = set.mem;
    const transient = this.transients.has(from);
    const current = transient ? this.currentTransient : this.current;
    const candidates = [current, ...this.memories].filter(
      (m): m is KernelMemory =>
        m !== undefined && m !== from && !m.draining && this.transients.has(m) === transient,
    );
    for (const mem of candidates) {
      if (room(mem) >= need && set.moveTo(mem)) return this.afterMove(from);
    }
    const target = this.addMemory(need, transient);
    if (!set.moveTo(target)) throw target.full(need);
    this.afterMove(from);
  }

  /** Called when a set is disposed: a memory left empty (and not current) is dropped. */
  forget(set: RegionSet): void {
    this.dropIfEmpty(set.mem);
  }

  /** Whether a memory is mostly free and worth compacting (or a compaction is under way). */
  needsCompaction(): boolean {
    if (this.pins > 0) return false;
    return this.compaction !== undefined || this.compactionSource() !== undefined;
  }

  /**
   * Keeps every region where it is (no compaction step moves one) until the returned function is
   * called: a snapshot written piece by piece reads regions between two turns of its thread.
   */
  pin(): () => void {
    this.pins++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.pins--;
    };
  }

  /**
   * One bounded step of compaction: moves region sets out of a mostly free memory until about
   * `maxBytes` are copied (at least one set, so a set larger than `maxBytes` moves in one step),
   * and drops the memory once it is empty. Returns true while there is more to do.
   */
  compactStep(maxBytes = 8 << 20): boolean {
    if (this.pins > 0) return false;
    if (this.compaction === undefined) {
      const source = this.compactionSource();
      if (source === undefined) return false;
      this.compaction = new Compaction(this, source, this.compactionTarget(source));
    }
    if (!this.compaction.step(maxBytes)) return true;
    const { source } = this.compaction;
    this.compaction = undefined;
    this.remove(source);
    return this.compactionSource() !== undefined;
  }

  /** Runs compaction to the end (tests, or a thread with nothing else to do). */
  compact(): void {
    while (this.compactStep(Infinity));
  }

  figures(): WorkspaceFigures {
    let committed = 0;
    let transientCommitted = 0;
    let touched = 0;
    let allocated = 0;
    let scratchWasm = 0;
    let scratch = 0;
    let sets = 0;
    for (const mem of this.memories) {
      committed += mem.bytes();
      if (this.transients.has(mem)) transientCommitted += mem.bytes();
      touched += mem.allocator.highWater;
      allocated += mem.allocator.allocatedBytes;
      if (mem.hasScratch()) {
        scratchWasm += mem.scratch.wasmBytes();
        scratch += mem.scratch.bytes();
      }
      sets += mem.sets.size;
    }
    return {
      memories: this.memories.length,
      transientMemories: this.transients.size,
      transientCommittedBytes: transientCommitted,
      memoriesCreated: this.created,
      committedBytes: committed,
      touchedBytes: touched,
      regionBytes: allocated - scratchWasm,
      scratchBytes: scratch,
      freeBytes: committed - allocated,
      regionSets: sets,
      compacting: this.compaction !== undefined,
    };
  }

  /** The memories alive, oldest first (tests and figures). */
  memoryList(): readonly KernelMemory[] {
    return this.memories;
  }

  private currentMemory(transient: boolean): KernelMemory {
    const current = transient ? this.currentTransient : this.current;
    if (current === undefined || current.draining) return this.addMemory(0, transient);
    return current;
  }

  /** A new memory, which becomes the current one of its kind. */
  private addMemory(initialBytes: number, transient = false): KernelMemory {
    const mem = new KernelMemory({
      limitBytes: this.memoryLimitBytes,
      initialBytes: initialBytes + FIRST_OFFSET,
    });
    this.memories.push(mem);
    this.created++;
    if (transient) {
      this.transients.add(mem);
      this.currentTransient = mem;
    } else {
      this.current = mem;
    }
    return mem;
  }

  private afterMove(from: KernelMemory): void {
    this.dropIfEmpty(from);
  }

  private dropIfEmpty(mem: KernelMemory): void {
    // an empty current memory is kept for the next set, unless transient: its pages go back now
    if (mem.sets.size > 0 || mem === this.current) return;
    if (this.compaction?.source === mem) return; // the compaction drops it
    this.remove(mem);
  }

  private remove(mem: KernelMemory): void {
    const i = this.memories.indexOf(mem);
    if (i >= 0) this.memories.splice(i, 1);
    if (this.current === mem) this.current = undefined;
    if (this.currentTransient === mem) this.currentTransient = undefined;
    this.transients.delete(mem);
  }

  /** The memory with the most free touched bytes, if it passes the thresholds. */
  private compactionSource(): KernelMemory | undefined {
    let best: KernelMemory | undefined;
    let bestFree = 0;
    for (const mem of this.memories) {
      if (mem.draining) continue;
      const touched = mem.allocator.highWater;
      const free = touched - mem.allocator.allocatedBytes;
      const transient = this.transients.has(mem);
      const minBytes = transient ? this.transientMinBytes : this.compactionMinBytes;
      const freeShare = transient ? this.transientFreeShare : this.compactionFreeShare;
      if (touched < minBytes || free < freeShare * touched) continue;
      if (free > bestFree) {
        best = mem;
        bestFree = free;
      }
    }
    return best;
  }

  /**
   * Another memory of the source's kind (lasting or transient) with room for its live bytes,
   * else a new one sized for them; it becomes the current one of its kind.
   */
  private compactionTarget(source: KernelMemory): KernelMemory {
    const live = source.allocator.allocatedBytes;
    const transient = this.transients.has(source);
    const other = this.memories.find(
      (m) => m !== source && !m.draining && this.transients.has(m) === transient && room(m) >= live,
    );
    if (other === undefined) return this.addMemory(live, transient);
    if (transient) this.currentTransient = other;
    else this.current = other;
    return other;
  }
}

/** Bytes a memory could still hand to regions (free blocks may be fragmented: a first guess). */
function room(mem: KernelMemory): number {
  return mem.regionCeiling - mem.allocator.top + mem.allocator.freeBytes;
}
