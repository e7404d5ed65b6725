import {
  effectiveQuantization,
  type LibraryRecord,
  type LibraryTrained,
  type PolicyDecision,
  type QuantizationConfig,
  type RecallMeasured,
} from "@quiver/events";
import { libraryRows } from "@quiver/cluster";
import { strategyName } from "../policy/strategy-name.js";
import type { StatisticsResponse } from "@quiver/api";
import { partitionsOf } from "../catalog/catalog.js";
import type { ServiceContext } from "./context.js";
import { type LibraryStatsRows, libraryStatsRows } from "./node-stats.js";

/**
 * Asks every shard serving a partition of the library what the library holds there: one call per
 * shard for this library (requests about one library; the controllers' rounds over every library
 * read the NodeStatsView instead).
 */
export async function gatherLibraryStats(
  ctx: ServiceContext,
  library: LibraryRecord,
): Promise<LibraryStatsRows> {
  return libraryStatsRows(await libraryRows(ctx.router, library.libraryId, partitionsOf(library)));
}

/** The latest recall measurement as the statistics show it (null and why, when none yet). */
function accuracyMetrics(
  m: RecallMeasured | undefined,
): Pick<StatisticsResponse["quantization"], "accuracy_metrics" | "accuracy_note"> {
  if (!m) {
    return {
      accuracy_metrics: null,
      accuracy_note:
        "not measured yet: the recall probe measures libraries of 1,000 vectors or more in the " +
        "background; POST /v1/libraries/{id}/quantization/probe measures now",
    };
  }
  return {
    accuracy_metrics: {
      "recall@10": m.recallAt10,
      "recall@100": m.recallAt100,
      sample_size: m.sampleSize,
      measured_at: new Date(m.measuredAtMs).toISOString(),
      duration_ms: m.durationMs,
      strategy: m.strategy,
    },
    accuracy_note:
      `measured: live search against exact search for ${m.sampleSize} queries sampled from the ` +
      "library, each query's own id left out",
  };
}

/** "384 MB": decimal units, as the label says. */
export function humanBytes(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** Hybrid's float32 caches summed over partitions and replicas; null when none has one. */
function cacheTotals(rows: LibraryStatsRows["rows"]): StatisticsResponse["float32_cache"] {
  const caches = rows.flatMap((r) => (r.float32Cache ? [r.float32Cache] : []));
  if (caches.length === 0) return null;
  const sum = (f: (c: (typeof caches)[number]) => number) => caches.reduce((a, c) => a + f(c), 0);
  const hits = sum((c) => c.hits);
  const misses = sum((c) => c.misses);
  return {
    capacity_bytes: sum((c) => c.capacityBytes),
    bytes: sum((c) => c.bytes),
    hits,
    misses,
    hit_ratio: hits + misses > 0 ? Math.round((hits / (hits + misses)) * 1e4) / 1e4 : null,
  };
}

/**
 * A library's statistics: what its indexes hold, measured by the shards that serve it, summed
 * over partitions and replicas. Savings compare what the search reads in RAM (codes, and the
 * float32 cache of hybrid) with the same vectors as float32.
 */
export class StatisticsService {
  constructor(private readonly ctx: ServiceContext) {}

  async statistics(library: LibraryRecord): Promise<StatisticsResponse> {
    const { rows, vectorsByPartition } = await gatherLibraryStats(this.ctx, library);
    const numVectors = [...vectorsByPartition.values()].reduce((a, b) => a + b, 0);
    const sum = (f: (r: (typeof rows)[number]) => number) => rows.reduce((a, r) => a + f(r), 0);
    const bytes = {
      codes: sum((r) => r.index.vectors),
      graph: sum((r) => r.index.graph),
      float32_cache: sum((r) => r.index.originals),
      metadata: sum((r) => r.metadataBytes),
      quantizer: sum((r) => r.index.quantizer),
      other: sum((r) => r.index.other),
      total: 0,
      float32_vectors: sum((r) => r.vectors * library.dimension * 4),
    };
    bytes.total =
      bytes.codes +
      bytes.graph +
      bytes.float32_cache +
      bytes.metadata +
      bytes.quantizer +
      bytes.other;
    const searched = bytes.codes + bytes.float32_cache;
    const savings = bytes.float32_vectors > 0 ? 1 - searched / bytes.float32_vectors : 0;
    const quantized = library.quantization.strategy !== "none";
    const training = quantized && rows.some((r) => r.phase === "exact");
    const migration = this.ctx.catalog.activeMigration(library.libraryId);
    return {
      library_id: library.libraryId,
      num_vectors: numVectors,
      state: migration ? "migrating" : training ? "training" : "serving",
      ...(migration
        ? { migration: { migration_id: migration.migrationId, to: migration.to.strategy } }
        : {}),
      memory_usage: {
        quantized: humanBytes(bytes.codes),
        graph: humanBytes(bytes.graph),
        float32_cache: humanBytes(bytes.float32_cache),
        metadata: humanBytes(bytes.metadata),
        total: humanBytes(bytes.total),
        savings_vs_float32: `${Math.round(savings * 100)}%`,
        savings_vs_float32_ratio: Math.round(savings * 1e4) / 1e4,
        bytes,
        replicas_counted: rows.length,
      },
      float32_cache: cacheTotals(rows),
      quantization: {
        strategy: library.quantization.strategy,
        ...accuracyMetrics(this.ctx.catalog.recall(library.libraryId)),
        current: strategyName(effectiveQuantization(library.quantization)),
        training: trainingView(this.ctx.catalog.currentTraining(library)),
        ...policyView(library.quantization, this.ctx.catalog.lastDecision(library.libraryId)),
      },
      partitions: rows.map((r) => ({
        partition: r.partition,
        shard: r.shard,
        vectors: r.vectors,
        phase: r.phase,
        bytes: r.index.total + r.metadataBytes,
        ...(r.trainingId ? { training_id: r.trainingId } : {}),
        ...(r.error ? { error: r.error } : {}),
      })),
    };
  }
}

function trainingView(t: LibraryTrained | undefined) {
  if (!t) return null;
  return {
    training_id: t.trainingId,
    sample_size: t.sampleSize,
    trained_at: new Date(t.trainedAtMs).toISOString(),
  };
}

/** An adaptive library's targets and the policy's latest decision (nothing for the others). */
function policyView(q: QuantizationConfig, last: PolicyDecision | undefined) {
  if (q.strategy !== "adaptive") return {};
  return {
    policy: {
      max_memory_gb: q.max_memory_gb,
      target_accuracy: q.target_accuracy,
      auto_tune: q.auto_tune,
      last_decision: last ? decisionView(last) : null,
    },
  };
}

/** A policy.decision event as the API shows it. */
export function decisionView(last: PolicyDecision) {
  return {
    decided_at: new Date(last.atMs ?? 0).toISOString(),
    decision: strategyName(effectiveQuantization(last.decision)),
    reason: last.reason,
    inputs: last.inputs,
  };
}
