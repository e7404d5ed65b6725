import { readFileSync, readlinkSync } from "node:fs";
import { getPriority, setPriority } from "node:os";

/**
 * Puts the calling thread's CPU priority at `niceness` (Linux: a thread's own nice value), for
 * background work that the threads answering requests should pass. Never raises it: a process
 * started at a higher nice value may not lower it without privileges, so it keeps its own.
 */
export function lowerThreadPriority(niceness: number): void {
  setPriority(Math.max(niceness, getPriority()));
}

/** How much lower than its answering priority a thread runs its background slices. */
export const BACKGROUND_NICE_STEP = 10;

/** What a thread's current work is: answering a request, or long work done in slices. */
export type WorkLane = "foreground" | "background";

/**
 * The CPU priority of a thread that both answers requests and does long work in slices (a
 * partition worker: searches, and the inserts of its log). Its background slices run
 * BACKGROUND_NICE_STEP lower, and it goes back up to answer: on a node whose cores are all
 * busy, the kernel then gives a core to the thread with a search to answer (and to the threads
 * that route it) before the threads that insert, instead of sharing the cores fairly between
 * all of them (a search waited 10-25 ms behind preempted inserts). The thread that routes a
 * search raises the worker before posting it (see RaisableThread), so that the insert in
 * progress when it arrives finishes at the answering priority. Going back up needs
 * CAP_SYS_NICE or an RLIMIT_NICE that allows it: without, switching stays off and the thread
 * keeps one priority. One per thread (a module is instantiated once per thread).
 */
export class ThreadPriority {
  private base = 0;
  /** The thread's nice value now, shared with the thread that raises it. */
  private cell: Int32Array | undefined;
  private tid = 0;
  private lane: WorkLane = "foreground";

  /** Turns switching on for the calling thread; false where its priority could not go back up. */
  enableSwitching(): boolean {
    const base = getPriority();
    const tid = ownThreadId();
    if (tid === undefined || !canRaiseTo(base)) return false;
    this.base = base;
    this.tid = tid;
    this.cell = new Int32Array(new SharedArrayBuffer(4));
    this.cell[0] = base;
    return true;
  }

  get switching(): boolean {
    return this.cell !== undefined;
  }

  /** What another thread needs to raise this one (undefined while switching is off). */
  raisable(): RaisableThreadInfo | undefined {
    const cell = this.cell;
    return cell
      ? { tid: this.tid, nice: this.base, cell: cell.buffer as SharedArrayBuffer }
      : undefined;
  }

  /** Moves the thread to the lane's priority (nothing when switching is off or it is there). */
  enter(lane: WorkLane): void {
    const cell = this.cell;
    if (!cell) return;
    this.lane = lane;
    const nice = this.niceOf(lane);
    if (Atomics.load(cell, 0) === nice) return;
    try {
      setPriority(nice);
      Atomics.store(cell, 0, nice);
    } catch {
      // the capability went away (it cannot, short of a setuid): keep whatever priority it has
      this.cell = undefined;
    }
  }

  /**
   * Whether another thread raised this one out of its background lane: it has a request to
   * answer, which background work lets through at once (see TimeSlice.due).
   */
  raised(): boolean {
    const cell = this.cell;
    return (
      cell !== undefined &&
      this.lane === "background" &&
      Atomics.load(cell, 0) !== this.niceOf("background")
    );
  }

  private niceOf(lane: WorkLane): number {
    return lane === "foreground" ? this.base : Math.min(19, this.base + BACKGROUND_NICE_STEP);
  }
}

/** A thread's kernel id, answering priority and its shared nice cell (structured-cloneable). */
export interface RaisableThreadInfo {
  tid: number;
  nice: number;
  cell: SharedArrayBuffer;
}

/**
 * Another thread's ThreadPriority, seen from the thread that hands it requests: `raise()` puts
 * it at its answering priority before a request is posted to it.
 */
export class RaisableThread {
  private readonly cell: Int32Array;

  constructor(private readonly info: RaisableThreadInfo) {
    this.cell = new Int32Array(info.cell);
  }

  raise(): void {
    const { tid, nice } = this.info;
    if (Atomics.load(this.cell, 0) === nice) return;
    try {
      setPriority(tid, nice);
      Atomics.store(this.cell, 0, nice);
    } catch {
      // the thread has ended: nothing to raise
    }
  }
}

/** The calling thread's priority lanes. */
export const threadPriority = new ThreadPriority();

const CAP_SYS_NICE = 23;

/** The calling thread's kernel id (Linux: /proc/thread-self is "<pid>/task/<tid>"). */
function ownThreadId(): number | undefined {
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether this thread may set its nice value back to `nice` once lowered: with CAP_SYS_NICE, or
 * when RLIMIT_NICE's soft limit allows it (a nice value may go down to 20 - limit). Linux only.
 */
export function canRaiseTo(nice: number): boolean {
  try {
    const status = readFileSync("/proc/thread-self/status", "utf8");
    const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
    if (capEff && (BigInt(`0x${capEff}`) >> BigInt(CAP_SYS_NICE)) & 1n) return true;
    const limits = readFileSync("/proc/thread-self/limits", "utf8");
    const soft = /^Max nice priority\s+(\S+)/m.exec(limits)?.[1];
    if (soft === undefined) return false;
    if (soft === "unlimited") return true;
    return nice >= 20 - Number(soft);
  } catch {
    return false;
  }
}
