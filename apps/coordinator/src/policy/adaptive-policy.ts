import { keepLease, type Lease, type LeaseKeeper } from "@quiver/cluster";
import { effectiveQuantization, type LibraryRecord } from "@quiver/events";
import { partitionsOf } from "../catalog/catalog.js";
import type { ServiceContext } from "../service/context.js";
import type { LibraryStatsRows } from "../service/node-stats.js";
import type { NodeStatsView } from "../service/node-stats-view.js";
import { gatherLibraryStats } from "../service/statistics-service.js";
import type { MigrationService } from "../service/migration-service.js";
import { type Decision, decide, type PolicyInputs, type PolicyTargets } from "./decide.js";
import type { LibraryMemory, MemoryPressure, MemoryPressureSource } from "./memory-pressure.js";
import { memoryFromStats } from "./statistics-source.js";
import { strategyName } from "./strategy-name.js";

/** Rounds in a row a change must be asked for before the policy makes it. */
const CONFIRMATIONS = 2;

export interface AdaptivePolicyOptions {
  /** Where memory figures come from: Prometheus in a cluster, the process in embedded mode. */
  source: MemoryPressureSource;
  /** One coordinator at a time runs the policy: the holder of this lease. */
  lease: Lease;
  /** How often the holder evaluates the adaptive libraries. */
  intervalMs?: number;
  /** The least time between two changes of one library's strategy. */
  cooldownMs?: number;
  /** The latest recall@10 measured for a library's current index, when there is one. */
  recallOf?: (library: LibraryRecord) => number | undefined;
}

/** One evaluation of a library: its measured inputs and what the rule makes of them. */
export interface Evaluation {
  inputs: PolicyInputs;
  targets: PolicyTargets;
  decision: Decision;
}

/**
 * The adaptive policy (brief §1, §4): the coordinator holding the lease evaluates every adaptive
 * library with auto_tune on, every intervalMs, from measured figures (memory from the source,
 * recall from the probe), and when the rule (decide.ts) calls for another strategy and the
 * library's last change is older than the cooldown, it records the decision with its inputs and
 * reason as the library's decision fact (KV key `lib.<id>.decision`) and starts the migration. A
 * round reads the shards' statistics of every library at once (one call per shard node, shared
 * with the other controllers).
 */
export class AdaptivePolicy {
  private readonly intervalMs: number;
  private readonly cooldownMs: number;
  private holding = false;
  private keeper: LeaseKeeper | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  /** A change the rule asked for, and on how many rounds in a row. */
  private readonly pending = new Map<string, { key: string; count: number }>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly migrations: MigrationService,
    private readonly stats: NodeStatsView,
    private readonly options: AdaptivePolicyOptions,
  ) {
    this.intervalMs = options.intervalMs ?? 30_000;
    this.cooldownMs = options.cooldownMs ?? 600_000;
  }

  get isHolder(): boolean {
    return this.holding;
  }

  start(): void {
    this.keeper = keepLease(
      this.options.lease,
      (holding) => {
        this.holding = holding;
        this.ctx.logger.info(
          { holding },
          holding ? "runs the adaptive policy" : "policy lease lost",
        );
      },
      { onError: (error) => this.ctx.logger.warn({ err: error }, "policy lease attempt failed") },
    );
    this.timer = setInterval(() => {
      if (!this.holding) return;
      this.ticking ??= this.tick()
        .catch((error: unknown) => this.ctx.logger.warn({ err: error }, "policy tick failed"))
        .finally(() => (this.ticking = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.ticking;
    await this.keeper?.stop();
  }

  /**
   * Evaluates a library now (adaptive or not: the recommendation endpoint asks for any). When the
   * source's figures do not cover the whole library (a missed scrape), the shards' statistics
   * stand in for its memory; `complete` says whether the source's own figures were whole. Without
   * `stats` (the shards' rows of the library, from a round), the shards are asked about it.
   */
  async evaluate(
    library: LibraryRecord,
    overrides: Partial<PolicyTargets> = {},
    pressure?: MemoryPressure,
    stats?: LibraryStatsRows,
  ): Promise<Evaluation & { complete: boolean }> {
    const read = pressure ?? (await this.options.source.read());
    stats ??= await gatherLibraryStats(this.ctx, library);
    const fromSource = read.libraries.get(library.libraryId);
    const complete =
      fromSource !== undefined &&
      !this.predatesSwitch(library, fromSource) &&
      this.covers(library, fromSource.vectors, stats);
    const memory = complete ? fromSource : memoryFromStats(library.libraryId, stats);
    const bytes = memory?.bytes ?? 0;
    const pressures = read.shards
      .filter((s) => s.limitBytes !== undefined && s.limitBytes > 0)
      .map((s) => s.rssBytes / (s.limitBytes as number));
    const inputs: PolicyInputs = {
      dimension: library.dimension,
      vectors: memory?.vectors ?? 0,
      bytes,
      codesBytes: memory?.components.codes ?? 0,
      vectorsPerPartition: (memory?.vectors ?? 0) / partitionsOf(library),
      cacheBytes: memory?.components.float32_cache ?? 0,
      replicas: Math.max(1, stats.rows.length / partitionsOf(library)),
      ...(pressures.length > 0 ? { shardPressure: Math.max(...pressures) } : {}),
    };
    const recall = this.options.recallOf?.(library);
    if (recall !== undefined) inputs.recallAt10 = recall;
    const q = library.quantization;
    const targets: PolicyTargets = {
      maxMemoryBytes:
        overrides.maxMemoryBytes ?? (q.strategy === "adaptive" ? q.max_memory_gb * 1e9 : bytes),
      targetAccuracy:
        overrides.targetAccuracy ?? (q.strategy === "adaptive" ? q.target_accuracy : 0.95),
    };
    return {
      inputs,
      targets,
      decision: decide(effectiveQuantization(q), inputs, targets),
      complete,
    };
  }

  /** One round over the adaptive libraries (the lease holder's). */
  async tick(): Promise<void> {
    const pressure = await this.options.source.read();
    const round = await this.stats.round();
    for (const library of this.ctx.catalog.all()) {
      const q = library.quantization;
      if (q.strategy !== "adaptive" || !q.auto_tune) continue;
      if (this.migrations.active(library.libraryId)) continue;
      const last = this.ctx.catalog.lastDecision(library.libraryId);
      if (last && Date.now() - (last.atMs ?? 0) < this.cooldownMs) continue;
      const stats = round.library(library.libraryId);
      const { inputs, decision, complete } = await this.evaluate(library, {}, pressure, stats);
      // figures that do not cover the library (not scraped yet, a missed scrape): no decision
      if (!complete || !decision.change) {
        this.pending.delete(library.libraryId);
        continue;
      }
      // the same change asked for on CONFIRMATIONS rounds in a row, not one reading's blip
      const key = JSON.stringify(decision.to);
      const seen = this.pending.get(library.libraryId);
      const count = seen?.key === key ? seen.count + 1 : 1;
      this.pending.set(library.libraryId, { key, count });
      if (count < CONFIRMATIONS) continue;
      this.pending.delete(library.libraryId);
      await this.apply(library, decision, inputs, stats);
    }
  }

  /**
   * Whether the source's figures cover the whole library: every partition answers the shards'
   * statistics and the source counts the vectors they hold (a missed scrape of one shard would
   * make the library look smaller than it is).
   */
  private covers(library: LibraryRecord, vectors: number, stats: LibraryStatsRows): boolean {
    const { vectorsByPartition } = stats;
    if (vectorsByPartition.size < partitionsOf(library)) return false;
    const stored = [...vectorsByPartition.values()].reduce((a, b) => a + b, 0);
    const covered = Math.abs(vectors - stored) <= Math.max(10, 0.02 * stored);
    if (!covered) {
      this.ctx.logger.info(
        { library: library.libraryId, source: vectors, shards: stored },
        "the memory figures do not cover the library: the shards' statistics stand in",
      );
    }
    return covered;
  }

  /**
   * Whether the source's figures were measured before the library's latest strategy switch (a
   * scrape of the old index): they would show the footprint of a strategy it no longer runs.
   */
  private predatesSwitch(library: LibraryRecord, memory: LibraryMemory): boolean {
    if (memory.sampledAtMs === undefined) return false;
    let switchedAtMs = 0;
    for (const m of this.ctx.catalog.migrationsOf(library.libraryId)) {
      if (m.status === "completed") switchedAtMs = Math.max(switchedAtMs, m.finishedAtMs ?? 0);
    }
    return memory.sampledAtMs <= switchedAtMs;
  }

  private async apply(
    library: LibraryRecord,
    decision: Decision,
    inputs: PolicyInputs,
    stats: LibraryStatsRows,
  ): Promise<void> {
    if (library.quantization.strategy !== "adaptive") return;
    const to = { ...library.quantization, current: decision.to };
    const event = {
      type: "policy.decision" as const,
      libraryId: library.libraryId,
      decision: to,
      inputs: numericInputs(inputs, decision),
      reason: decision.reason,
      atMs: Date.now(),
    };
    await this.ctx.catalog.facts.putDecision(event);
    this.ctx.logger.info(
      { library: library.libraryId, to: strategyName(decision.to), reason: decision.reason },
      "adaptive policy decision",
    );
    await this.migrations.begin(library, to, "quantization_config", stats);
  }
}

/** The measured inputs and the rule's estimates, as a decision event and the API show them. */
export function numericInputs(inputs: PolicyInputs, decision: Decision): Record<string, number> {
  const out: Record<string, number> = {
    dimension: inputs.dimension,
    vectors: inputs.vectors,
    memory_bytes: inputs.bytes,
    codes_bytes: inputs.codesBytes,
  };
  if (inputs.recallAt10 !== undefined) out.recall_at_10 = inputs.recallAt10;
  if (inputs.shardPressure !== undefined) out.shard_memory_pressure = inputs.shardPressure;
  for (const [name, bytes] of Object.entries(decision.estimates)) out[`estimate_${name}`] = bytes;
  return out;
}
