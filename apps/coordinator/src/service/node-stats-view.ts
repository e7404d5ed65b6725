import type { ServiceContext } from "./context.js";
import {
  gatherNodeStats,
  type LibraryStatsRows,
  libraryStatsRows,
  type NodeStatsRow,
} from "./node-stats.js";

/** How old a round may be when a caller does not say: about one controller's tick. */
const DEFAULT_MAX_AGE_MS = 1_000;

/** One round of the shards' statistics: every library they hold, from one call per node. */
export class NodeStatsRound {
  constructor(
    /** When the round was asked for (its figures are at least this recent). */
    readonly atMs: number,
    private readonly byLibrary: ReadonlyMap<string, NodeStatsRow[]>,
  ) {}

  /** What the shards reported of a library (no row: none of them holds it, or none answered). */
  library(libraryId: string): LibraryStatsRows {
    return libraryStatsRows(this.byLibrary.get(libraryId) ?? []);
  }
}

/**
 * The shards' statistics of every library, shared by a coordinator's controllers (the recall
 * probe's scheduler, the adaptive policy, the migrations' driver, the trainings): a round costs
 * one statistics call per shard node whatever the number of libraries, a caller gets the latest
 * round when it is no older than the age it accepts, and one round is gathered at a time (callers
 * that arrive meanwhile wait for it). Requests about one library (its statistics, its
 * recommendation) ask the shards themselves.
 */
export class NodeStatsView {
  private last: NodeStatsRound | undefined;
  private gathering: Promise<NodeStatsRound> | undefined;

  constructor(
    private readonly gather: () => Promise<Map<string, NodeStatsRow[]>>,
    private readonly defaultMaxAgeMs = DEFAULT_MAX_AGE_MS,
  ) {}

  /** A view over the shards of a coordinator's router. */
  static of(ctx: ServiceContext, maxAgeMs?: number): NodeStatsView {
    return new NodeStatsView(() => gatherNodeStats(ctx), maxAgeMs);
  }

  /** The latest round when it is at most `maxAgeMs` old, else a new one (or the one under way). */
  async round(maxAgeMs = this.defaultMaxAgeMs): Promise<NodeStatsRound> {
    const last = this.last;
    if (last && Date.now() - last.atMs <= maxAgeMs) return last;
    this.gathering ??= this.next().finally(() => (this.gathering = undefined));
    return this.gathering;
  }

  private async next(): Promise<NodeStatsRound> {
    const atMs = Date.now();
    this.last = new NodeStatsRound(atMs, await this.gather());
    return this.last;
  }
}
