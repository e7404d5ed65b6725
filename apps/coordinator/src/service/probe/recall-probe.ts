import { effectiveQuantization, type LibraryRecord, type RecallMeasured } from "@quiver/events";
import { strategyName } from "../../policy/strategy-name.js";
import {
  ApiError,
  ApiErrorCode,
  DEFAULT_PROBE_SAMPLE,
  type RecallMeasurementResponse,
  type SampledVector,
} from "@quiver/api";
import type { ServiceContext } from "../context.js";
import { sampleLibraryVectors } from "../sample-vectors.js";
import type { SearchService } from "../search-service.js";
import { gatherLibraryStats } from "../statistics-service.js";
import { meanRecallLeavingOut } from "./recall.js";

/** Queries per live search request. */
const LIVE_BATCH = 100;
/**
 * What an exact scan may hold per batch on a shard: a float64 distance per query per vector of
 * the partition. Larger batches read the originals fewer times.
 */
const EXACT_BATCH_BYTES = 64 * 1024 * 1024;
const MAX_EXACT_BATCH = 100;
/** An exact batch reads a whole partition; it gets more time than a search. */
const EXACT_TIMEOUT_MS = 300_000;

/** Queries per exact batch for a library whose largest partition holds `vectors`. */
export function exactBatchSize(vectors: number): number {
  return Math.max(1, Math.min(MAX_EXACT_BATCH, Math.floor(EXACT_BATCH_BYTES / (8 * vectors))));
}

/** A measurement as the API shows it. */
export function measurementResponse(m: RecallMeasured): RecallMeasurementResponse {
  return {
    library_id: m.libraryId,
    recall_at_10: m.recallAt10,
    recall_at_100: m.recallAt100,
    sample_size: m.sampleSize,
    num_vectors: m.numVectors,
    measured_at: new Date(m.measuredAtMs).toISOString(),
    duration_ms: m.durationMs,
    strategy: m.strategy,
  };
}

/**
 * The recall probe: samples stored vectors of a library as queries, searches them the way users
 * do (the library's defaults) and exhaustively over the float32 originals, and measures
 * recall@10 and recall@100 of the first against the second, each query's own id left out.
 * A measurement is recorded as the library's recall fact (KV key `lib.<id>.recall`), so every
 * coordinator (and a restarted one) reports the latest.
 */
export class RecallProbe {
  private seeds = 0;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly search: SearchService,
  ) {}

  /** Measures and records; answers the measurement. */
  async probe(
    library: LibraryRecord,
    sampleSize = DEFAULT_PROBE_SAMPLE,
    seed?: number,
    signal?: AbortSignal,
  ): Promise<RecallMeasurementResponse> {
    const measured = await this.measure(library, sampleSize, seed, signal);
    await this.ctx.catalog.facts.putRecall(measured);
    return measurementResponse(measured);
  }

  /**
   * Measures without recording; without a seed, each measurement draws new queries. An aborted
   * signal stops it between batches.
   */
  async measure(
    library: LibraryRecord,
    sampleSize: number,
    seed?: number,
    signal?: AbortSignal,
  ): Promise<RecallMeasured> {
    const started = performance.now();
    const { vectorsByPartition } = await gatherLibraryStats(this.ctx, library);
    const counts = [...vectorsByPartition.values()];
    const numVectors = counts.reduce((a, b) => a + b, 0);
    if (numVectors < 2) {
      throw new ApiError(
        ApiErrorCode.TooFewVectors,
        `library ${library.libraryId} holds ${numVectors} vectors; recall needs at least 2`,
        { num_vectors: numVectors },
      );
    }
    const draw = seed ?? (Date.now() + this.seeds++ * 0x9e3779b1) >>> 0;
    const queries = await sampleLibraryVectors(this.ctx, library, sampleSize, draw);
    const selves = queries.map((q) => q.id);
    const [live10, live100, exact] = [
      await this.ids(library, queries, 11, LIVE_BATCH, false, signal),
      await this.ids(library, queries, 101, LIVE_BATCH, false, signal),
      await this.ids(library, queries, 101, exactBatchSize(Math.max(...counts)), true, signal),
    ];
    return {
      type: "recall.measured",
      libraryId: library.libraryId,
      recallAt10: meanRecallLeavingOut(live10, exact, selves, 10),
      recallAt100: meanRecallLeavingOut(live100, exact, selves, 100),
      sampleSize: queries.length,
      numVectors,
      strategy: strategyName(effectiveQuantization(library.quantization)),
      measuredAtMs: Date.now(),
      durationMs: Math.round(performance.now() - started),
    };
  }

  /** The ids each query finds, batch after batch. */
  private async ids(
    library: LibraryRecord,
    queries: SampledVector[],
    k: number,
    batch: number,
    exact: boolean,
    signal: AbortSignal | undefined,
  ): Promise<string[][]> {
    const out: string[][] = [];
    for (let start = 0; start < queries.length; start += batch) {
      signal?.throwIfAborted();
      const { results } = await this.search.search(library, {
        vectors: queries.slice(start, start + batch).map((q) => Array.from(q.vector)),
        k,
        exact,
        include_metadata: false,
        ...(exact ? { timeout_ms: EXACT_TIMEOUT_MS } : {}),
      });
      for (const hits of results) out.push(hits.map((h) => h.id));
    }
    return out;
  }
}
