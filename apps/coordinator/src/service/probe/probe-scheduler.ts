import type { LibraryRecord, RecallMeasured } from "@quiver/events";
import type { ServiceContext } from "../context.js";
import type { NodeStatsView } from "../node-stats-view.js";
import type { RecallProbe } from "./recall-probe.js";

/** Libraries smaller than this are not probed in the background (on demand they are). */
export const MIN_PROBED_VECTORS = 1_000;
/** A change of the vector count by more than this share calls for a new measurement. */
const COUNT_CHANGE = 0.1;
/** How often the scheduler looks for libraries due, at the most. */
const MAX_CHECK_MS = 60_000;
/** How old the vector counts a library is judged on may be (a pass takes a while). */
const COUNTS_MAX_AGE_MS = 5_000;

/**
 * Whether a library is due for a background measurement: it is large enough, and it has none, or
 * its last one is older than the interval, or its vector count changed by more than 10% or its
 * strategy changed since.
 */
export function probeDue(
  last: RecallMeasured | undefined,
  now: { atMs: number; numVectors: number; strategy: string },
  intervalMs: number,
): boolean {
  if (now.numVectors < MIN_PROBED_VECTORS) return false;
  if (!last) return true;
  return (
    now.atMs - last.measuredAtMs >= intervalMs ||
    Math.abs(now.numVectors - last.numVectors) > COUNT_CHANGE * last.numVectors ||
    now.strategy !== last.strategy
  );
}

/**
 * Runs the recall probe in the background: every so often (the interval, or a minute when that is
 * shorter) it measures each library that is due, one library at a time, the longest unmeasured
 * first. A failure is logged and the next library is measured; nothing stops the loop but stop().
 * Measurements land in the catalog, so coordinators that each run a scheduler skip what another
 * has just measured. The vector counts come from the shards' statistics of every library (one call
 * per shard node a round, shared with the other controllers), not from a call per library.
 */
export class ProbeScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly stopping = new AbortController();
  private readonly checkMs: number;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly probe: RecallProbe,
    private readonly stats: NodeStatsView,
    private readonly intervalMs: number,
  ) {
    this.checkMs = Math.min(intervalMs, MAX_CHECK_MS);
  }

  start(): void {
    if (!(this.intervalMs > 0)) return;
    this.schedule();
  }

  private schedule(): void {
    if (this.stopping.signal.aborted) return;
    // jitter, so that coordinators started together do not measure the same library together
    const delay = this.checkMs * (0.75 + Math.random() * 0.5);
    this.timer = setTimeout(() => {
      this.running = this.pass().finally(() => this.schedule());
    }, delay);
    this.timer.unref();
  }

  /** One look at every library: measures those due, one after another. */
  async pass(): Promise<void> {
    const libraries = [...this.ctx.catalog.all()].sort(
      (a, b) => this.lastAtMs(a) - this.lastAtMs(b),
    );
    for (const library of libraries) {
      if (this.stopping.signal.aborted) return;
      try {
        await this.probeIfDue(library);
      } catch (error) {
        if (this.stopping.signal.aborted) return;
        this.ctx.logger.warn(
          { err: error, library: library.libraryId },
          "background recall probe failed",
        );
      }
    }
  }

  private async probeIfDue(library: LibraryRecord): Promise<void> {
    // the library may have changed or gone while the previous one was measured
    const current = this.ctx.catalog.get(library.libraryId);
    if (!current) return;
    const round = await this.stats.round(COUNTS_MAX_AGE_MS);
    const { vectorsByPartition } = round.library(current.libraryId);
    const numVectors = [...vectorsByPartition.values()].reduce((a, b) => a + b, 0);
    const now = { atMs: Date.now(), numVectors, strategy: current.quantization.strategy };
    if (!probeDue(this.ctx.catalog.recall(current.libraryId), now, this.intervalMs)) return;
    const measured = await this.probe.probe(current, undefined, undefined, this.stopping.signal);
    this.ctx.logger.info(
      { library: current.libraryId, ...measured },
      "recall measured in the background",
    );
  }

  private lastAtMs(library: LibraryRecord): number {
    return this.ctx.catalog.recall(library.libraryId)?.measuredAtMs ?? 0;
  }

  /** Stops looking; a measurement under way stops at its next batch. */
  async stop(): Promise<void> {
    this.stopping.abort();
    clearTimeout(this.timer);
    await this.running;
  }
}
