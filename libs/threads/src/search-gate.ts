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
 * How long background work keeps off the cores after the node's last search ended, by default:
 * a client that searches one query after another sends its next search well within this, and it
 * should find a core free (the thread that routes it) rather than behind every thread's inserts.
 */
export const DEFAULT_SEARCH_COOLDOWN_MS = 2;

/** Int32 cells of the gate's buffer. */
const IN_FLIGHT = 0;
/** The low 32 bits of Date.now() when the last search in flight ended. */
const LAST_LEFT = 1;
/** The cooldown, ms, as its creator set it. */
const COOLDOWN = 2;

/**
 * The searches a node has in flight, counted in one SharedArrayBuffer that every thread of the
 * process can hold: the thread that routes a search counts it in and out; a thread doing long
 * background work (applying inserts, writing a snapshot, rebuilding) asks between two slices
 * whether searches are running or ended moments ago (the cooldown) and, if so, leaves the cores
 * to them for a while. On a node whose cores are all busy, a search otherwise waits for CPU
 * behind every slice of every thread.
 */
export class SearchGate {
  private readonly cells: Int32Array;
  readonly cooldownMs: number;

  /** A gate of its own, or (with `buffer`) another thread's gate. */
  constructor(
    readonly buffer: SharedArrayBuffer = SearchGate.newBuffer(DEFAULT_SEARCH_COOLDOWN_MS),
  ) {
    this.cells = new Int32Array(buffer, 0, 3);
    this.cooldownMs = this.cells[COOLDOWN];
  }

  /** A new gate whose background work keeps off for `cooldownMs` after the last search. */
  static create(cooldownMs = DEFAULT_SEARCH_COOLDOWN_MS): SearchGate {
    return new SearchGate(SearchGate.newBuffer(cooldownMs));
  }

  private static newBuffer(cooldownMs: number): SharedArrayBuffer {
    if (!Number.isInteger(cooldownMs) || cooldownMs < 0 || cooldownMs > 1_000)
      throw new RangeError(`a search cooldown is a whole number of ms in [0, 1000]: ${cooldownMs}`);
    const buffer = new SharedArrayBuffer(12);
    const cells = new Int32Array(buffer);
    // no search has ended: the cooldown is long over
    cells[LAST_LEFT] = (Date.now() - 3_600_000) | 0;
    cells[COOLDOWN] = cooldownMs;
    return buffer;
  }

  enter(): void {
    Atomics.add(this.cells, IN_FLIGHT, 1);
  }

  leave(): void {
    Atomics.store(this.cells, LAST_LEFT, Date.now() | 0);
    // the waiters wait for no search at all: only the last one out wakes them
    if (Atomics.sub(this.cells, IN_FLIGHT, 1) === 1) Atomics.notify(this.cells, IN_FLIGHT);
  }

  /** Searches in flight now. */
  inFlight(): number {
    return Atomics.load(this.cells, IN_FLIGHT);
  }

  /** Whether a search is in flight or ended less than `ms` ago. */
  searchedWithin(ms: number): boolean {
    return this.inFlight() > 0 || this.sinceLastMs() < ms;
  }

  /** Whether a search is in flight or ended less than the cooldown ago. */
  busy(): boolean {
    return this.searchedWithin(this.cooldownMs);
  }

  /** Milliseconds since the last search ended (modulo 2^31: right for 24 days). */
  private sinceLastMs(): number {
    return ((Date.now() | 0) - Atomics.load(this.cells, LAST_LEFT)) | 0;
  }

  /**
   * Resolves once no search is in flight and none ended within the cooldown, or after
   * `maxMs` (so that background work still advances under a search load that never stops).
   * Never blocks the thread's event loop.
   */
  async quiet(maxMs: number): Promise<void> {
    const deadline = performance.now() + maxMs;
    for (;;) {
      const n = Atomics.load(this.cells, IN_FLIGHT);
      const left = deadline - performance.now();
      if (left <= 0) return;
      if (n > 0) {
        const wait = waitAsync(this.cells, IN_FLIGHT, n, left);
        if (wait.async) await wait.value;
        continue;
      }
      const cooling = this.cooldownMs - this.sinceLastMs();
      if (cooling <= 0) return;
      await new Promise<void>((resolve) => setTimeout(resolve, Math.min(cooling, left)));
    }
  }
}
