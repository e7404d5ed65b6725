import type { SearchGate } from "./search-gate.js";

/**
 * Long work on a thread that also answers requests, cut into slices: the worker calls `due()`
 * between two units of work (one insert, one chunk) and, when the slice has run for `sliceMs`,
 * awaits `pause()`, which lets the messages waiting on the thread (searches) run before the
 * next slice. A search then waits at most one slice. With the node's SearchGate, a pause also
 * leaves the cores to the searches in flight on other threads, for at most `deferMs`.
 */
export class TimeSlice {
  private startedMs = performance.now();
  /** Whether the current slice runs whole whatever the searches (it waited deferMs for them). */
  private owed = false;

  constructor(
    readonly sliceMs: number,
    private readonly gate?: SearchGate,
    private readonly deferMs = 3 * sliceMs,
  ) {}

  /**
   * True when the current slice has used its time or, with a SearchGate, as soon as a search is
   * in flight or has just ended (a search then waits for one unit of work, not a whole slice),
   * unless the slice is one that searches never ending did not let run (see pause).
   */
  due(): boolean {
    if (performance.now() - this.startedMs >= this.sliceMs) return true;
    return !this.owed && this.gate !== undefined && this.gate.busy();
  }

  /** Gives the thread's event loop a turn (setImmediate: after pending I/O and messages). */
  async pause(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.owed = false;
    if (this.gate && this.gate.busy()) {
      await this.gate.quiet(this.deferMs);
      // searches that never stop: the work still gets one whole slice in every deferMs + sliceMs
      this.owed = this.gate.busy();
    }
    this.startedMs = performance.now();
  }

  /** Pauses only when the slice is due. */
  async yieldIfDue(): Promise<void> {
    if (this.due()) await this.pause();
  }
}

/** Index work between two chances for a search to run on a partition's thread. */
export const APPLY_SLICE_MS = 4;
