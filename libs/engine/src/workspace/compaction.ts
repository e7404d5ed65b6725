import type { KernelMemory } from "../kernels/kernel-memory.js";
import type { KernelWorkspace } from "./kernel-workspace.js";
import type { RegionSet } from "./region.js";

/**
 * Empties one memory (the source) into another (the target), a few region sets per step.
 *
 * Once started, the source is draining: no new set is placed there, and a set of the source that
 * must allocate moves first (RegionSet asks the workspace), so the source only loses sets. The
 * sets still there keep serving from the source (their scratch is the source's) until their turn.
 * A set moves whole, between operations, so no index ever has regions in two memories.
 */
export class Compaction {
  private readonly pending: RegionSet[];

  constructor(
    private readonly workspace: KernelWorkspace,
    readonly source: KernelMemory,
    readonly target: KernelMemory,
  ) {
    source.draining = true;
    // largest last: popped first, so that a step's budget goes to the bulk of the bytes
    this.pending = [...source.sets].sort((a, b) => a.bytes() - b.bytes());
  }

  /** Moves sets until about `maxBytes` are copied; true once the source holds no set. */
  step(maxBytes: number): boolean {
    let copied = 0;
    while (this.pending.length > 0 && copied < maxBytes) {
      const set = this.pending.pop()!;
      if (set.disposed || set.mem !== this.source) continue; // gone, or moved on its own
      copied += set.bytes();
      if (!set.moveTo(this.target)) this.workspace.relocate(set, 0);
    }
    return this.source.sets.size === 0;
  }
}
