import { createHash, randomBytes } from "node:crypto";
import {
  type ConcreteQuantizationConfig,
  codesOf,
  effectiveQuantization,
  type LibraryRecord,
  trainingSampleSize,
} from "@quiver/events";
import { partitionsOf } from "../../catalog/catalog.js";
import type { ServiceContext } from "../context.js";
import { totalVectors } from "../node-stats.js";
import type { NodeStatsView } from "../node-stats-view.js";

export interface TrainingControllerOptions {
  /** Whether this coordinator drives the trainings now (the holder of the controllers' lease). */
  leader: () => boolean;
  /** How often libraries are looked at (default 5 s; a started migration is looked at at once). */
  intervalMs?: number;
  /** How long a library waits after a failed training before the next attempt (default 30 s). */
  retryMs?: number;
  /** Trainings asked of the shards at once, over every library (default 2). */
  maxRunning?: number;
}

/** A new training id: time-ordered, so that partitions can agree on the latest of two. */
export function newTrainingId(nowMs = Date.now()): string {
  return `trn_${nowMs.toString(36).padStart(9, "0")}${randomBytes(4).toString("hex")}`;
}

/** A training's sample seed, from its id: replicas and retries draw the same sample. */
function seedOf(trainingId: string): number {
  return createHash("sha256").update(trainingId).digest().readUInt32LE(0);
}

/**
 * Trains libraries' quantizers once per library (brief §1: the sample is the library's, whatever
 * its partitions): a library on codes searches exactly until it holds its calibration_samples /
 * training_samples vectors, then this controller asks a shard node that serves it to train on a
 * sample drawn across all its partitions and to append the quantizer to every partition's log;
 * the partitions build on it in the background and switch. A migration to codes waits for its
 * own training the same way. Runs on the coordinator that holds the controllers' lease; the
 * catalog records what was trained, so a new leader carries on.
 */
export class TrainingController {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  /** Trainings asked of a shard and not answered yet, by library. */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** When a library's last training failed. */
  private readonly failedAtMs = new Map<string, number>();
  private readonly maxRunning: number;
  /** Trainings done and not in the catalog yet (its view follows the log a moment later). */
  private readonly doneAtMs = new Map<string, { trainingId: string; atMs: number }>();
  private readonly intervalMs: number;
  private readonly retryMs: number;
  private stopped = false;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly stats: NodeStatsView,
    private readonly options: TrainingControllerOptions,
  ) {
    this.intervalMs = options.intervalMs ?? 5_000;
    this.retryMs = options.retryMs ?? 30_000;
    this.maxRunning = options.maxRunning ?? 2;
  }

  start(): void {
    this.timer = setInterval(() => this.poke(), this.intervalMs);
    this.timer.unref();
  }

  /** Looks now (when this coordinator leads and no round is under way), e.g. after a migration. */
  poke(): void {
    if (this.stopped || !this.options.leader()) return;
    this.ticking ??= this.tick()
      .catch((error: unknown) => this.ctx.logger.warn({ err: error }, "training round failed"))
      .finally(() => (this.ticking = undefined));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.ticking;
  }

  /** Trainings under way now (asked of a shard, not answered yet). */
  get running(): number {
    return this.inFlight.size;
  }

  /** One look at the migrations waiting for a quantizer and the libraries due their first. */
  async tick(): Promise<void> {
    const catalog = this.ctx.catalog;
    for (const m of catalog.activeMigrations()) {
      const library = catalog.get(m.libraryId);
      if (!library || !m.trainingId || catalog.trained(m.trainingId)) continue;
      this.ensure(library, effectiveQuantization(m.to), m.trainingId, m.migrationId);
    }
    const due = catalog
      .all()
      .filter(
        (l) =>
          codesOf(l.quantization) !== undefined &&
          !catalog.activeMigration(l.libraryId) &&
          !this.inFlight.has(l.libraryId) &&
          !this.awaitingCatalog(l.libraryId) &&
          !catalog.trainedForCurrent(l),
      );
    if (due.length === 0) return;
    // one statistics call per shard node a round, whatever the libraries (shared with the other
    // controllers); a training that ends looks again at once, on the counts already gathered
    const round = await this.stats.round(this.intervalMs);
    for (const library of due) {
      if (this.inFlight.size >= this.maxRunning) break;
      const config = effectiveQuantization(library.quantization);
      const { rows } = round.library(library.libraryId);
      if (totalVectors(rows) < trainingSampleSize(config)) continue;
      this.ensure(library, config, newTrainingId());
    }
  }

  /** A training this controller saw done that the catalog does not show yet (for a minute). */
  private awaitingCatalog(libraryId: string): boolean {
    const done = this.doneAtMs.get(libraryId);
    if (!done) return false;
    if (this.ctx.catalog.trained(done.trainingId) || Date.now() - done.atMs > 60_000) {
      this.doneAtMs.delete(libraryId);
      return false;
    }
    return true;
  }

  private ensure(
    library: LibraryRecord,
    config: ConcreteQuantizationConfig,
    trainingId: string,
    migrationId?: string,
  ): void {
    const { libraryId } = library;
    if (this.stopped || this.inFlight.has(libraryId)) return;
    // the others' turn comes when one of these ends
    if (this.inFlight.size >= this.maxRunning) return;
    if (Date.now() - (this.failedAtMs.get(libraryId) ?? 0) < this.retryMs) return;
    // a node serving one of the library's partitions draws the sample and trains (which one
    // varies by library, so that the trainings of many libraries spread over the nodes)
    const partition = seedOf(libraryId) % partitionsOf(library);
    const shard = this.ctx.router.replicas(partition)[0] ?? this.ctx.router.shards()[0];
    if (!shard) return;
    const sampleSize = trainingSampleSize(config);
    this.ctx.logger.info(
      { library: libraryId, trainingId, migration: migrationId, shard: shard.shardId, sampleSize },
      "training the library's quantizer",
    );
    const run = shard
      .train({
        libraryId,
        trainingId,
        config,
        dimension: library.dimension,
        metric: library.metric,
        partitions: partitionsOf(library),
        sampleSize,
        seed: seedOf(trainingId),
        ...(migrationId ? { migrationId } : {}),
      })
      .then(
        (done) => {
          this.failedAtMs.delete(libraryId);
          this.doneAtMs.set(libraryId, { trainingId, atMs: Date.now() });
          this.ctx.logger.info({ library: libraryId, ...done }, "library trained");
        },
        (error: unknown) => {
          this.failedAtMs.set(libraryId, Date.now());
          this.ctx.logger.warn(
            { library: libraryId, trainingId, err: error },
            "training failed; retrying later",
          );
        },
      )
      .finally(() => {
        this.inFlight.delete(libraryId);
        this.poke();
      });
    this.inFlight.set(libraryId, run);
  }
}
