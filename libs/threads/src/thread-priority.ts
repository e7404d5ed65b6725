import { getPriority, setPriority } from "node:os";

/**
 * Puts the calling thread's CPU priority at `niceness` (Linux: a thread's own nice value), for
 * background work that the threads answering requests should pass. Never raises it: a process
 * started at a higher nice value may not lower it without privileges, so it keeps its own.
 */
export function lowerThreadPriority(niceness: number): void {
  setPriority(Math.max(niceness, getPriority()));
}
