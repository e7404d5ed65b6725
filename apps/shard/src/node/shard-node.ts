import {
  apportion,
  isApiError,
  type PartitionFailure,
  type PartitionLibraryStats,
  type PartitionSearchResult,
  type PartitionServingState,
  type PartitionState,
  type ShardClient,
  type ShardGetRequest,
  type ShardGetResponse,
  type ShardLibraryStats,
  type ShardSampleRequest,
  type ShardSampleResponse,
  type ShardSearchRequest,
  type ShardSearchResponse,
  type ShardStatus,
} from "@quiver/api";
import { type LibraryMemoryRow, type Logger, silentLogger } from "@quiver/telemetry";
import { IndexRebuilder } from "../migration/index-rebuilder.js";
import type { LibraryIndex } from "../partition/library-index.js";
import { type ApplierOptions, PartitionApplier } from "../partition/partition-applier.js";
import { readSample, samplePartition } from "./partition-sample.js";
import { searchPartition } from "./partition-search.js";

/** The applier's options but the partition; `store` is one LMDB environment for them all. */
export interface ShardNodeOptions extends Omit<ApplierOptions, "partition"> {
  shardId: string;
}

interface Hosted {
  applier: PartitionApplier;
  state: PartitionServingState;
  running?: Promise<void>;
}

/**
 * A shard node: hosts the partitions assigned to it (each a PartitionApplier consuming its log),
 * and answers searches and reads for them. A newly assigned partition restores its snapshot and
 * catches up with the log before it serves. Implements ShardClient, so a coordinator in the same
 * process (embedded mode) calls it directly; cluster mode puts NATS request/reply in between.
 */
export class ShardNode implements ShardClient {
  readonly shardId: string;
  private readonly hosted = new Map<number, Hosted>();
  private readonly logger: Logger;
  private closed = false;
  /** Assignment changes run one after another. */
  private assigning: Promise<void> = Promise.resolve();
  /** Migrations' rebuilds of every hosted partition, one at a time. */
  private readonly rebuilder: IndexRebuilder;

  constructor(private readonly options: ShardNodeOptions) {
    this.shardId = options.shardId;
    this.rebuilder = options.rebuilder ?? new IndexRebuilder();
    this.logger = (options.logger ?? silentLogger()).child({ shard: options.shardId });
  }

  /** Each hosted partition and its state, now. */
  states(): { partition: number; state: PartitionServingState }[] {
    return this.partitions().map((partition) => ({
      partition,
      state: (this.hosted.get(partition) as Hosted).state,
    }));
  }

  /** Partitions hosted now (serving or catching up). */
  partitions(): number[] {
    return [...this.hosted.keys()].sort((a, b) => a - b);
  }

  /**
   * Makes the node host exactly `partitions`: new ones restore and catch up (resolves once they
   * serve), the others stop (their LMDB state stays, so they catch up quickly if they return).
   */
  assign(partitions: number[]): Promise<void> {
    const next = this.assigning.then(() => this.applyAssignment(new Set(partitions)));
    this.assigning = next.catch(() => undefined);
    return next;
  }

  private async applyAssignment(wanted: Set<number>): Promise<void> {
    if (this.closed) return;
    for (const [partition, hosted] of this.hosted) {
      if (wanted.has(partition)) continue;
      this.hosted.delete(partition);
      await this.release(partition, hosted);
    }
    const added = [...wanted].filter((p) => !this.hosted.has(p));
    await Promise.all(added.map((p) => this.host(p)));
  }

  private async host(partition: number): Promise<void> {
    const applier = new PartitionApplier({
      partition,
      store: this.options.store,
      log: this.options.log,
      metrics: this.options.metrics,
      logger: this.options.logger,
      snapshotEveryEvents: this.options.snapshotEveryEvents,
      snapshotEveryMs: this.options.snapshotEveryMs,
      rebuilder: this.rebuilder,
    });
    const hosted: Hosted = { applier, state: "catching_up" };
    this.hosted.set(partition, hosted);
    const started = performance.now();
    try {
      applier.restore();
      await applier.catchUp();
    } catch (error) {
      hosted.state = "halted";
      this.logger.error({ partition, err: error }, "partition failed to catch up");
      return;
    }
    if (this.hosted.get(partition) !== hosted) return;
    hosted.state = "serving";
    this.logger.info(
      { partition, appliedSeq: applier.appliedSeq, ms: Math.round(performance.now() - started) },
      "partition serving",
    );
    hosted.running = applier.run().then(
      () => {
        if (hosted.state === "serving") hosted.state = "stopped";
      },
      (error: unknown) => {
        hosted.state = "halted";
        this.logger.error({ partition, err: error }, "partition halted");
      },
    );
  }

  private async release(partition: number, hosted: Hosted): Promise<void> {
    hosted.state = "stopped";
    await hosted.applier.stop();
    await hosted.running;
    try {
      hosted.applier.snapshot();
    } catch (error) {
      this.logger.warn({ partition, err: error }, "snapshot on release failed");
    }
    this.logger.info({ partition }, "partition released");
  }

  private serving(partition: number): Hosted | PartitionFailure {
    const hosted = this.hosted.get(partition);
    if (!hosted || hosted.state === "stopped" || hosted.state === "catching_up") {
      return {
        code: "PARTITION_NOT_SERVED",
        message: `shard ${this.shardId} does not serve partition ${partition} (${hosted?.state ?? "not assigned"})`,
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
          return {
            partition,
            hits: searchPartition(this.options.store, partition, index, request, timings),
          };
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
        // what a serving partition reached (even short of seq); -1 when it is not served here
        const hosted = this.hosted.get(partition);
        out[partition] = hosted?.state === "serving" ? hosted.applier.appliedSeq : -1;
      }),
    );
    return out;
  }

  async status(): Promise<ShardStatus> {
    const partitions: PartitionState[] = this.partitions().map((partition) => {
      const hosted = this.hosted.get(partition) as Hosted;
      const status = hosted.applier.status();
      return {
        partition,
        state: hosted.state,
        appliedSeq: status.appliedSeq,
        ...("error" in status ? { error: status.error } : {}),
      };
    });
    return { shardId: this.shardId, partitions };
  }

  async libraryStats(libraryId: string, partitions: number[]): Promise<ShardLibraryStats> {
    const out: PartitionLibraryStats[] = [];
    for (const partition of partitions) {
      const hosted = this.hosted.get(partition);
      if (!hosted || hosted.state !== "serving") continue;
      const index = hosted.applier.index(libraryId);
      if (!index) continue;
      const migration = hosted.applier.migrationProgress(libraryId);
      const cache = index.float32CacheStats();
      out.push({
        ...partitionStats(partition, index),
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
    return { shardId: this.shardId, partitions: out };
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

  async sample(request: ShardSampleRequest): Promise<ShardSampleResponse> {
    const indexes = request.partitions.flatMap((partition) => {
      const hosted = this.hosted.get(partition);
      const index =
        hosted?.state === "serving" ? hosted.applier.index(request.libraryId) : undefined;
      return index ? [{ partition, index }] : [];
    });
    const counts = apportion(
      request.count,
      indexes.map(({ index }) => index.size),
    );
    const picks = indexes.flatMap(({ partition, index }, i) => {
      const seed = (request.seed ^ Math.imul(partition + 1, 0x9e3779b1)) >>> 0;
      return samplePartition(this.options.store, partition, index, counts[i], seed).map(
        (internal) => ({ partition, internal }),
      );
    });
    return readSample(
      this.options.store,
      request.libraryId,
      picks,
      request.offset ?? 0,
      request.maxBytes ?? Number.POSITIVE_INFINITY,
    );
  }

  /** Stops every partition (with a last snapshot, for a fast restart). */
  async close(): Promise<void> {
    await this.assign([]);
    this.closed = true;
  }
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
