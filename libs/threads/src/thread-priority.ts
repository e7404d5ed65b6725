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

/** Int32 cells of a thread's shared priority buffer. */
const NICE = 0;
/** Requests posted to the thread that it has not started yet. */
const WAITING = 1;

/**
 * The lanes of a thread that both answers requests and does long work in slices (a partition
 * worker: searches, and the inserts of its log). The thread that routes requests to it counts
 * each one it posts (RequestedThread.posted) and the thread counts it out when it starts on it:
 * background work between two units asks whether a request waits for this very thread, and if
 * so lets it through at once (see TimeSlice.due).
 *
 * Where the thread may set its CPU priority back up (CAP_SYS_NICE, or an RLIMIT_NICE that allows
 * it), its background slices also run BACKGROUND_NICE_STEP lower, and the routing thread raises
 * it as it posts a request: on a node whose cores are all busy the kernel then gives a core to
 * the threads that answer a search before those that insert, instead of sharing the cores
 * fairly between all of them, and the unit of work in progress when a search arrives finishes
 * at the answering priority. Without the capability every lane keeps one priority.
 * One per thread (a module is instantiated once per thread).
 */
export class ThreadPriority {
  private base = 0;
  private cells: Int32Array | undefined;
  private tid = 0;
  private switching = false;

  /**
   * Starts counting the requests posted to the calling thread and, where it can go back up,
   * switching its priority by lane; answers what the routing thread needs (RequestedThread).
   */
  open(): RequestedThreadInfo {
    if (!this.cells) {
      this.base = getPriority();
      this.cells = new Int32Array(new SharedArrayBuffer(8));
      this.cells[NICE] = this.base;
      const tid = ownThreadId();
      this.switching = tid !== undefined && canRaiseTo(this.base);
      this.tid = tid ?? 0;
    }
    return {
      tid: this.tid,
      nice: this.base,
      switching: this.switching,
      cells: this.cells.buffer as SharedArrayBuffer,
    };
  }

  /** The thread starts on a request the routing thread posted (once per posted request). */
  requestTaken(): void {
    if (this.cells) Atomics.sub(this.cells, WAITING, 1);
  }

  /** Whether a request posted to this thread waits for it to finish the unit in progress. */
  requestWaiting(): boolean {
    return this.cells !== undefined && Atomics.load(this.cells, WAITING) > 0;
  }

  /**
   * Moves the thread to the lane's priority (nothing when switching is off or it is there).
   * `lower` false keeps background work at the answering priority (no search to give way to).
   */
  enter(lane: WorkLane, lower = true): void {
    const cells = this.cells;
    if (!cells || !this.switching) return;
    if (lane === "foreground" || !lower || this.requestWaiting()) {
      this.setNice(cells, this.base);
      return;
    }
    const low = Math.min(19, this.base + BACKGROUND_NICE_STEP);
    if (Atomics.load(cells, NICE) === low) return;
    // announced before the change: a request posted meanwhile either sees it and raises the
    // thread, or is seen below and the thread raises itself
    Atomics.store(cells, NICE, low);
    this.setNice(cells, low, true);
    if (this.requestWaiting()) this.setNice(cells, this.base, true);
  }

  private setNice(cells: Int32Array, nice: number, always = false): void {
    if (!always && Atomics.load(cells, NICE) === nice) return;
    try {
      setPriority(nice);
      Atomics.store(cells, NICE, nice);
    } catch {
      // the capability went away (it cannot, short of a setuid): keep whatever priority it has
      this.switching = false;
    }
  }
}

/** What a routing thread needs of a thread it posts requests to (structured-cloneable). */
export interface RequestedThreadInfo {
  /** The thread's kernel id. */
  tid: number;
  /** Its answering priority. */
  nice: number;
  /** Whether it runs background work lower (and so is raised for each request). */
  switching: boolean;
  cells: SharedArrayBuffer;
}

/**
 * A thread that answers requests and does background work (ThreadPriority), seen from the thread
 * that posts it requests: `posted()` after each post counts the request in and raises the
 * thread to its answering priority.
 */
export class RequestedThread {
  private readonly cells: Int32Array;

  constructor(private readonly info: RequestedThreadInfo) {
    this.cells = new Int32Array(info.cells);
  }

  posted(): void {
    Atomics.add(this.cells, WAITING, 1);
    const { tid, nice, switching } = this.info;
    if (!switching || Atomics.load(this.cells, NICE) === nice) return;
    try {
      setPriority(tid, nice);
      Atomics.store(this.cells, NICE, nice);
    } catch {
      // the thread has ended: nothing to raise
    }
  }
}

/** The calling thread's lanes. */
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
