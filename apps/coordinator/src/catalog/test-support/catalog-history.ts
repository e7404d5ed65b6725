import { Rng } from "@quiver/engine";
import type { LibraryCreated, QuiverEvent } from "@quiver/events";

/** A library.created event as a coordinator appends it. */
export function libraryCreated(libraryId: string, createdAtMs = 1): LibraryCreated {
  return {
    type: "library.created",
    libraryId,
    tenantId: "default",
    name: libraryId,
    dimension: 16,
    metric: "l2",
    indexType: "hnsw",
    hnsw: { m: 8, ef_construction: 32, ef_search: 32 },
    quantization: { strategy: "none" },
    partitions: 2,
    createdAtMs,
  };
}

const CONFIGS = [
  { strategy: "none" },
  { strategy: "scalar", bits: 8, calibration_samples: 100 },
  { strategy: "product", subvectors: 2, codebook_size: 16, training_samples: 100 },
] as const;

/**
 * A seeded catalog history of every kind of catalog event: libraries created, changed, deleted,
 * trained, migrations started and completed, failed or cancelled, with the recall and policy
 * events earlier versions appended to the catalog in between. The same seed gives the same list.
 */
export function catalogHistory(seed: number, count: number): QuiverEvent[] {
  const rng = new Rng(seed);
  const out: QuiverEvent[] = [];
  const libraries: string[] = [];
  const active = new Map<string, string>();
  let n = 0;
  const pick = () => libraries[rng.int(libraries.length)];
  while (out.length < count) {
    const roll = rng.next();
    const at = 1_000 + out.length;
    if (libraries.length < 3 || roll < 0.15) {
      const id = `lib_${seed}_${n++}`;
      libraries.push(id);
      out.push(libraryCreated(id, at));
    } else if (roll < 0.22) {
      const id = pick();
      libraries.splice(libraries.indexOf(id), 1);
      active.delete(id);
      out.push({ type: "library.deleted", libraryId: id });
    } else if (roll < 0.3) {
      const quantization = CONFIGS[rng.int(CONFIGS.length)];
      out.push({ type: "library.config_changed", libraryId: pick(), quantization });
    } else if (roll < 0.4) {
      const libraryId = pick();
      const to = CONFIGS[1 + rng.int(2)];
      const migrationId = active.get(libraryId);
      out.push({
        type: "library.trained",
        libraryId,
        trainingId: `tr_${n++}`,
        config: to,
        sampleSize: 100,
        trainedAtMs: at,
        ...(migrationId && rng.next() < 0.5 ? { migrationId } : {}),
      });
    } else if (roll < 0.5) {
      const libraryId = pick();
      if (active.has(libraryId)) continue;
      const migrationId = `mig_${n++}`;
      active.set(libraryId, migrationId);
      out.push({
        type: "migration.started",
        libraryId,
        migrationId,
        from: CONFIGS[0],
        to: CONFIGS[1 + rng.int(2)],
        atMs: at,
        ...(rng.next() < 0.5 ? { trainingId: `tr_${n++}` } : {}),
      });
    } else if (roll < 0.6 && active.size > 0) {
      const [libraryId, migrationId] = [...active][rng.int(active.size)];
      active.delete(libraryId);
      const ending = rng.int(3);
      out.push(
        ending === 0
          ? { type: "migration.completed", libraryId, migrationId, atMs: at }
          : {
              type: ending === 1 ? "migration.failed" : "migration.cancelled",
              libraryId,
              migrationId,
              reason: `ended ${ending}`,
              atMs: at,
            },
      );
    } else if (roll < 0.8) {
      out.push(recallMeasured(pick(), at, rng.next()));
    } else {
      out.push(policyDecision(pick(), at));
    }
  }
  return out;
}

/** A recall.measured event (a fact: earlier versions appended it to the catalog). */
export function recallMeasured(libraryId: string, measuredAtMs: number, recallAt10: number) {
  return {
    type: "recall.measured" as const,
    libraryId,
    recallAt10,
    recallAt100: 0.9,
    sampleSize: 200,
    numVectors: 5000,
    strategy: "none",
    measuredAtMs,
    durationMs: 40,
  };
}

/** A policy.decision event (a fact: earlier versions appended it to the catalog). */
export function policyDecision(libraryId: string, atMs: number) {
  return {
    type: "policy.decision" as const,
    libraryId,
    decision: {
      strategy: "adaptive" as const,
      max_memory_gb: 1,
      target_accuracy: 0.95,
      auto_tune: true,
      current: { strategy: "none" as const },
    },
    inputs: { vectors: 1000, memory_bytes: 64_000 },
    reason: `decided at ${atMs}`,
    atMs,
  };
}
