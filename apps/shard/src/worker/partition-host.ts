import {
  isApiError,
  type LibraryPartitionStats,
  type PartitionFailure,
  type PartitionLibraryStats,
  type PartitionSearchResult,
  type PartitionServingState,
  type PartitionState,
  type SampledVector,
  type ShardGetRequest,
  type ShardGetResponse,
  type ShardSearchRequest,
  type ShardSearchResponse,
} from "@quiver/api";
import { KernelWorkspace, type WorkspaceFigures } from "@quiver/engine";
import type { EventLogReader } from "@quiver/log";
import type { PartitionLibrary, PartitionStore } from "@quiver/store";
import {
  type LibraryMemoryRow,
  type Logger,
  type ShardMetrics,
  silentLogger,
} from "@quiver/telemetry";
import { IndexRebuilder } from "../migration/index-rebuilder.js";
import type { LibraryIndex } from "../partition/library-index.js";
import { PartitionApplier } from "../partition/partition-applier.js";
import { readSample, samplePartition } from "./partition-sample.js";
import { ExactScans } from "./exact-scans.js";
import { searchPartition } from "./partition-search.js";
import { type SearchGate, TimeSlice } from "@quiver/threads";

export interface PartitionHostOptions {
  store: PartitionStore;
  log: EventLogReader;
  metrics?: ShardMetrics;
  logger?: Logger;
  snapshotEveryEvents?: number;
  snapshotEveryMs?: number;
  /** The node's searches in flight: applying and snapshots give way to them between slices. */
  searchGate?: SearchGate;
  /** The thread's kernel workspace (a new one by default; tests give one with a small limit). */
  workspace?: KernelWorkspace;
  /** Told when a hosted partition changes state (the main thread keeps the node's view). */
  onState?: (partition: number, state: PartitionServingState) => void;
  /**
   * The path `store` was opened with: long exact scans then run in a scan thread that opens it
   * too (without it, on this thread, in slices).
   */
  storePath?: string;
}

/**
 * A request's share of the thread before the thread's other messages get a turn: a search of a
 * few queries runs whole; a batch of hundreds, or an exact scan, gives way every few ms.
 */
const SEARCH_SLICE_MS = 4;

/** How often the thread looks for a kernel memory worth compacting, and how much one step moves. */
const COMPACTION_EVERY_MS = 1000;
const COMPACTION_STEP_BYTES = 4 << 20;

interface Hosted {
  applier: PartitionApplier;
  state: PartitionServingState;
  running?: Promise<void>;
}

/** One page of a partition's seeded sample (see ShardSampleRequest). */
export interface SamplePageRequest {
  libraryId: string;
  partition: number;
  count: number;
  seed: number;
  offset: number;
  maxBytes: number;
  /** False when the page already holds vectors (of an earlier partition). */
  atLeastOne: boolean;
}

/**
 * The partitions one worker thread hosts (each a PartitionApplier consuming its log) and the
 * searches and reads on them. A newly hosted partition restores its snapshot and catches up with
 * the log before it serves. The shard node on the main thread routes each partition's calls here.
 */
export class PartitionHost {
  private readonly hosted = new Map<number, Hosted>();
  private readonly logger: Logger;
  private closed = false;
  /** Migrations' rebuilds of this host's partitions, one at a time. */
  private readonly rebuilder = new IndexRebuilder();
  /**
   * The kernel memory of every library index of this thread: a few Wasm memories shared by all
   * its partitions, instead of one per index (V8 runs out after some thousands).
   */
  private readonly workspace: KernelWorkspace;
  private readonly compaction: NodeJS.Timeout;
  private readonly scans: ExactScans | undefined;

  constructor(private readonly options: PartitionHostOptions) {
    this.scans = options.storePath ? new ExactScans(options.storePath) : undefined;
    this.logger = options.logger ?? silentLogger();
    this.workspace = options.workspace ?? new KernelWorkspace();
    // one bounded step at a time between searches, so that the pages of deleted libraries go
    // back to the OS without a stall
    this.compaction = setInterval(() => {
      if (this.workspace.needsCompaction()) this.workspace.compactStep(COMPACTION_STEP_BYTES);
    }, COMPACTION_EVERY_MS);
    this.compaction.unref();
  }

  /** The kernel workspace's figures (memories, committed, region and scratch bytes). */
  workspaceFigures(): WorkspaceFigures {
    return this.workspace.figures();
  }

  /** Partitions hosted now (serving or catching up). */
  partitions(): number[] {
    return [...this.hosted.keys()].sort((a, b) => a - b);
  }

  private setState(partition: number, hosted: Hosted, state: PartitionServingState): void {
    hosted.state = state;
    if (this.hosted.get(partition) === hosted) this.options.onState?.(partition, state);
  }

  /** Restores and catches up `partition`, then applies its log as it grows. */
  async host(partition: number): Promise<void> {
    if (this.closed || this.hosted.has(partition)) return;
    const applier = new PartitionApplier({
      partition,
      store: this.options.store,
      log: this.options.log,
      metrics: this.options.metrics,
      logger: this.logger,
      snapshotEveryEvents: this.options.snapshotEveryEvents,
      snapshotEveryMs: this.options.snapshotEveryMs,
      rebuilder: this.rebuilder,
      workspace: this.workspace,
      searchGate: this.options.searchGate,
    });
    const hosted: Hosted = { applier, state: "catching_up" };
    this.hosted.set(partition, hosted);
    this.options.onState?.(partition, "catching_up");
    const started = performance.now();
    try {
      applier.restore();
      await applier.catchUp();
    } catch (error) {
      this.setState(partition, hosted, "halted");
      this.logger.error({ partition, err: error }, "partition failed to catch up");
      return;
    }
    if (this.hosted.get(partition) !== hosted) return;
    this.setState(partition, hosted, "serving");
    this.logger.info(
      { partition, appliedSeq: applier.appliedSeq, ms: Math.round(performance.now() - started) },
      "partition serving",
    );
    hosted.running = applier.run().then(
      () => {
        if (hosted.state === "serving") this.setState(partition, hosted, "stopped");
      },
      (error: unknown) => {
        this.setState(partition, hosted, "halted");
        this.logger.error({ partition, err: error }, "partition halted");
      },
    );
  }

  /**
   * Stops hosting `partition` (its LMDB state stays, so it catches up quickly if it returns);
   * its last snapshots are started until `untilMs` (performance.now() time; see snapshot).
   */
  async release(partition: number, untilMs?: number): Promise<void> {
    const hosted = this.hosted.get(partition);
    if (!hosted) return;
    this.hosted.delete(partition);
    hosted.state = "stopped";
    await hosted.applier.stop();
    await hosted.running;
    try {
      await hosted.applier.snapshot(untilMs);
    } catch (error) {
      this.logger.warn({ partition, err: error }, "snapshot on release failed");
    }
    hosted.applier.dispose();
    this.logger.info({ partition }, "partition released");
  }

  private serving(partition: number): Hosted | PartitionFailure {
    const hosted = this.hosted.get(partition);
    if (!hosted || hosted.state === "stopped" || hosted.state === "catching_up") {
      return {
        code: "PARTITION_NOT_SERVED",
        message: `partition ${partition} is not served here (${hosted?.state ?? "not assigned"})`,
      };
    }
    if (hosted.state === "halted") {
      const status = hosted.applier.status();
      return {
        code: "PARTITION_HALTED",
        message: `partition ${partition} halted${"error" in status ? `: ${status.error}` : ""}`,
      };
    }
    return hosted;
  }

  private async ready(
    partition: number,
    minSeq: number | undefined,
    deadline: number,
  ): Promise<Hosted | PartitionFailure> {
    const hosted = this.serving(partition);
    if (!("applier" in hosted) || !minSeq) return hosted;
    const applied = await hosted.applier.waitFor(minSeq, deadline - Date.now());
    if (applied) return hosted;
    return {
      code: "TIMEOUT",
      message: `partition ${partition} had applied ${hosted.applier.appliedSeq} of ${minSeq} when the time was up`,
    };
  }

  async search(request: ShardSearchRequest): Promise<ShardSearchResponse> {
    const deadline = Date.now() + request.timeoutMs;
    const timings = request.timings ? { searchMs: 0, rerankMs: 0 } : undefined;
    const results = await Promise.all(
      request.partitions.map(async (partition): Promise<PartitionSearchResult> => {
        const hosted = await this.ready(partition, request.minSeqs?.[partition], deadline);
        if (!("applier" in hosted)) return { partition, error: hosted };
        const index = hosted.applier.index(request.libraryId);
        const failure = hosted.applier.libraryFailure(request.libraryId);
        if (failure) {
          const message = `library ${request.libraryId} cannot be served in partition ${partition}: ${failure}`;
          return { partition, error: { code: "LIBRARY_FAILED", message } };
        }
        if (!index)
          return { partition, hits: Array.from({ length: queryCount(request) }, () => []) };
        if (index.record.dimension !== request.dimension) {
          return {
            partition,
            error: {
              code: "DIMENSION_MISMATCH",
              message: `library ${request.libraryId} has dimension ${index.record.dimension}`,
            },
          };
        }
        const started = timings && performance.now();
        try {
          const hits = await searchPartition(
            this.options.store,
            partition,
            () => hosted.applier.index(request.libraryId),
            request,
            new TimeSlice(SEARCH_SLICE_MS),
            this.scans,
            timings,
          );
          return { partition, hits: hits ?? Array.from({ length: queryCount(request) }, () => []) };
        } catch (error) {
          if (isApiError(error)) {
            return { partition, error: { code: "INVALID_FILTER", message: error.message } };
          }
          this.logger.error({ partition, err: error }, "search failed");
          return { partition, error: { code: "INTERNAL", message: (error as Error).message } };
        } finally {
          if (timings) timings.searchMs += performance.now() - (started as number);
        }
      }),
    );
    return timings ? { results, timings } : { results };
  }

  async get(request: ShardGetRequest): Promise<ShardGetResponse> {
    const hosted = await this.ready(
      request.partition,
      request.minSeq,
      Date.now() + request.timeoutMs,
    );
    if (!("applier" in hosted)) return { error: hosted };
    const store = this.options.store;
    const { partition, libraryId } = request;
    return {
      vectors: request.ids.map((id) => {
        const internal = store.internalId(partition, libraryId, id);
        if (internal === undefined) return null;
        const vector = store.original(partition, libraryId, internal);
        if (!vector) return null;
        return { id, vector, metadata: store.metadata(partition, libraryId, internal) };
      }),
    };
  }

  /** Per partition: the applied sequence reached (even short of seq); -1 when not served here. */
  async waitApplied(
    minSeqs: Record<number, number>,
    timeoutMs: number,
  ): Promise<Record<number, number>> {
    const deadline = Date.now() + timeoutMs;
    const out: Record<number, number> = {};
    await Promise.all(
      Object.entries(minSeqs).map(async ([p, seq]) => {
        const partition = Number(p);
        await this.ready(partition, seq, deadline);
        const hosted = this.hosted.get(partition);
        out[partition] = hosted?.state === "serving" ? hosted.applier.appliedSeq : -1;
      }),
    );
    return out;
  }

  status(): PartitionState[] {
    return this.partitions().map((partition) => {
      const hosted = this.hosted.get(partition) as Hosted;
      const status = hosted.applier.status();
      return {
        partition,
        state: hosted.state,
        appliedSeq: status.appliedSeq,
        ...("error" in status ? { error: status.error } : {}),
      };
    });
  }

  /**
   * What a library holds in the serving partitions of those asked (a library the partition knows
   * but holds no vector of yet: zeros; one whose index failed: zeros and the error).
   */
  libraryStats(libraryId: string, partitions: number[]): PartitionLibraryStats[] {
    const out: PartitionLibraryStats[] = [];
    for (const partition of partitions) {
      const hosted = this.hosted.get(partition);
      if (hosted?.state !== "serving") continue;
      const record = this.options.store.library(partition, libraryId);
      if (!record) continue;
      const { applier } = hosted;
      const index = applier.index(libraryId);
      const migration = applier.migrationProgress(libraryId);
      const cache = index?.float32CacheStats();
      const trainingId = runningTraining(record);
      const error = applier.libraryFailure(libraryId);
      out.push({
        ...(index ? partitionStats(partition, index) : emptyStats(partition, record)),
        ...(trainingId && index?.phase === "quantized" ? { trainingId } : {}),
        ...(error ? { error } : {}),
        ...(migration ? { migration } : {}),
        ...(cache && {
          float32Cache: {
            capacityBytes: cache.capacityBytes,
            bytes: cache.residentBytes,
            hits: cache.hits,
            misses: cache.misses,
          },
        }),
      });
    }
    return out;
  }

  /** Every library of every serving partition, as libraryStats reports each. */
  allLibraryStats(): LibraryPartitionStats[] {
    const rows: LibraryPartitionStats[] = [];
    for (const partition of this.partitions()) {
      const hosted = this.hosted.get(partition) as Hosted;
      if (hosted.state !== "serving") continue;
      for (const libraryId of hosted.applier.libraries()) {
        for (const row of this.libraryStats(libraryId, [partition]))
          rows.push({ ...row, libraryId });
      }
    }
    return rows;
  }

  /**
   * What every serving partition holds of every library, bytes by component as the statistics
   * count them (read by the metrics at each scrape, for the adaptive policy).
   */
  libraryMemory(): LibraryMemoryRow[] {
    const rows: LibraryMemoryRow[] = [];
    for (const [partition, hosted] of this.hosted) {
      if (hosted.state !== "serving") continue;
      for (const libraryId of hosted.applier.libraries()) {
        const index = hosted.applier.index(libraryId);
        if (index) rows.push(memoryRow(libraryId, partitionStats(partition, index)));
      }
    }
    return rows;
  }

  /** Live vectors of a library per serving partition (of those asked). */
  sizes(libraryId: string, partitions: number[]): Record<number, number> {
    const out: Record<number, number> = {};
    for (const partition of partitions) {
      const index = this.servingIndex(partition, libraryId);
      if (index) out[partition] = index.size;
    }
    return out;
  }

  /** One page of a partition's seeded sample of `count` vectors, from `offset` on. */
  samplePage(request: SamplePageRequest): { vectors: SampledVector[]; next?: number } {
    const { libraryId, partition } = request;
    const index = this.servingIndex(partition, libraryId);
    if (!index) return { vectors: [] };
    const store = this.options.store;
    const picks = samplePartition(store, partition, index, request.count, request.seed).map(
      (internal) => ({ partition, internal }),
    );
    return readSample(
      store,
      libraryId,
      picks,
      request.offset,
      request.maxBytes,
      request.atLeastOne,
    );
  }

  private servingIndex(partition: number, libraryId: string): LibraryIndex | undefined {
    const hosted = this.hosted.get(partition);
    return hosted?.state === "serving" ? hosted.applier.index(libraryId) : undefined;
  }

  /**
   * Stops every partition, with last snapshots for a fast restart, started within `snapshotMs`
   * (all of them without it).
   */
  async close(snapshotMs?: number): Promise<void> {
    this.closed = true;
    const until = snapshotMs === undefined ? undefined : performance.now() + snapshotMs;
    clearInterval(this.compaction);
    this.rebuilder.close();
    this.scans?.close();
    for (const partition of this.partitions()) await this.release(partition, until);
  }
}

/** The training whose quantizer a partition's library index runs, as its record says. */
function runningTraining(record: PartitionLibrary | undefined): string | undefined {
  if (record?.training?.state === "switched") return record.training.trainingId;
  const m = record?.migration;
  return m?.state === "switched" ? m.trainingId : undefined;
}

/** A library without an index in the partition: nothing held. */
function emptyStats(partition: number, record: PartitionLibrary): PartitionLibraryStats {
  const none = { vectors: 0, quantizer: 0, graph: 0, originals: 0, other: 0, total: 0 };
  return {
    partition,
    vectors: 0,
    phase: "exact",
    index: none,
    metadataBytes: 0,
    strategy: record.quantization.strategy,
  };
}

function partitionStats(partition: number, index: LibraryIndex): PartitionLibraryStats {
  return {
    partition,
    vectors: index.size,
    phase: index.phase,
    index: { ...index.memoryUsage() },
    metadataBytes: index.metadataBytes,
    strategy: index.record.quantization.strategy,
  };
}

function memoryRow(libraryId: string, stats: PartitionLibraryStats): LibraryMemoryRow {
  const { index, metadataBytes } = stats;
  return {
    libraryId,
    partition: stats.partition,
    vectors: stats.vectors,
    bytes: {
      codes: index.vectors,
      graph: index.graph,
      float32_cache: index.originals,
      metadata: metadataBytes,
      quantizer: index.quantizer,
      other: index.other,
      total: index.total + metadataBytes,
    },
  };
}

function queryCount(request: ShardSearchRequest): number {
  return request.queries.length / request.dimension;
}
