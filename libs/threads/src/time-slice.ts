import type { SearchGate } from "./search-gate.js";
import { threadPriority, type WorkLane } from "./thread-priority.js";

/**
 * Long work on a thread that also answers requests, cut into slices: the worker calls `due()`
 * between two units of work (one insert, one chunk) and, when the slice has run for `sliceMs`,
 * awaits `pause()`, which lets the messages waiting on the thread (searches) run before the
 * next slice. A search then waits at most one slice. With the node's SearchGate, a pause also
 * leaves the cores to the searches in flight on other threads, for at most `deferMs`.
 *
 * A slice runs in its lane (see ThreadPriority): work that gives way to searches (given a gate)
 * is background work, the rest answers a request. The lane is entered when the slice starts and
 * again after every pause, since the thread's other messages may have moved it meanwhile. A
 * background slice is due at once when a request waits for this very thread (a search posted
 * to it), even one owed to the work: the search runs after the unit in progress, and an owed
 * slice then goes on where it was.
 */
export class TimeSlice {
  private startedMs = performance.now();
  /** Whether the current slice runs whole whatever the searches (it waited deferMs for them). */
  private owed = false;
  /** Whether due() answered true because a request waits for this thread. */
  private forRequest = false;

  constructor(
    readonly sliceMs: number,
    private readonly gate?: SearchGate,
    private readonly deferMs = 3 * sliceMs,
    private readonly lane: WorkLane = gate ? "background" : "foreground",
  ) {
    this.enterLane();
  }

  /**
   * Background work goes below the searches only while there are searches to give way to (one
   * in the last SEARCH_ACTIVITY_MS): alone on a node, inserts keep the thread's priority and do
   * not fall behind the processes that feed them (the coordinator, NATS, a local client).
   */
  private enterLane(): void {
    const gate = this.gate;
    threadPriority.enter(this.lane, gate === undefined || gate.searchedWithin(SEARCH_ACTIVITY_MS));
  }

  /**
   * True when the current slice has used its time or, with a SearchGate, as soon as a search is
   * in flight or has just ended (a search then waits for one unit of work, not a whole slice),
   * unless the slice is one that searches never ending did not let run (see pause).
   */
  due(): boolean {
    if (performance.now() - this.startedMs >= this.sliceMs) return true;
    if (this.lane === "background" && threadPriority.requestWaiting()) {
      this.forRequest = true;
      return true;
    }
    return !this.owed && this.gate !== undefined && this.gate.busy();
  }

  /** Gives the thread's event loop a turn (setImmediate: after pending I/O and messages). */
  async pause(): Promise<void> {
    const interrupted =
      this.forRequest && this.owed && performance.now() - this.startedMs < this.sliceMs;
    this.forRequest = false;
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (interrupted) {
      this.enterLane();
      return;
    }
    this.owed = false;
    if (this.gate && this.gate.busy()) {
      await this.gate.quiet(this.deferMs);
      // searches that never stop: the work still gets one whole slice in every deferMs + sliceMs
      this.owed = this.gate.busy();
      // a request posted here as the wait ended goes before the slice
      if (threadPriority.requestWaiting()) await new Promise<void>((r) => setImmediate(r));
    }
    this.enterLane();
    this.startedMs = performance.now();
  }

  /** Pauses only when the slice is due. */
  async yieldIfDue(): Promise<void> {
    if (this.due()) await this.pause();
  }
}

/** How recent a search keeps background work below the searches (see TimeSlice.enterLane). */
export const SEARCH_ACTIVITY_MS = 1_000;

/** Index work between two chances for a search to run on a partition's thread. */
export const APPLY_SLICE_MS = 4;
