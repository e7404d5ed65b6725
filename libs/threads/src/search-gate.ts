/** Atomics.waitAsync (Node 16+; in TypeScript's lib from es2024 on). */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      cell: Int32Array,
      index: number,
      value: number,
      timeoutMs: number,
    ): { async: false; value: string } | { async: true; value: Promise<string> };
  }
).waitAsync;

/**
 * The searches a node has in flight, counted in one SharedArrayBuffer that every thread of the
 * process can hold: the thread that routes a search counts it in and out; a thread doing long
 * background work (applying inserts, writing a snapshot, rebuilding) asks between two slices
 * whether searches are running and, if so, leaves the cores to them for a while. On a node whose
 * cores are all busy, a search otherwise waits for CPU behind every slice of every thread.
 */
export class SearchGate {
  private readonly cell: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(4)) {
    this.cell = new Int32Array(buffer, 0, 1);
  }

  enter(): void {
    Atomics.add(this.cell, 0, 1);
  }

  leave(): void {
    // the waiters wait for no search at all: only the last one out wakes them
    if (Atomics.sub(this.cell, 0, 1) === 1) Atomics.notify(this.cell, 0);
  }

  /** Searches in flight now. */
  inFlight(): number {
    return Atomics.load(this.cell, 0);
  }

  /**
   * Resolves once no search is in flight, or after `maxMs` (so that background work still
   * advances under a search load that never stops). Never blocks the thread's event loop.
   */
  async quiet(maxMs: number): Promise<void> {
    const deadline = performance.now() + maxMs;
    for (;;) {
      const n = Atomics.load(this.cell, 0);
      const left = deadline - performance.now();
      if (n <= 0 || left <= 0) return;
      const wait = waitAsync(this.cell, 0, n, left);
      if (wait.async) await wait.value;
    }
  }
}
