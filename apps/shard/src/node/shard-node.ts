import {
  apportion,
  type LibraryPartitionStats,
  type ShardBenchmarkRequest,
  type ShardBenchmarkResponse,
  type PartitionFailure,
  type PartitionLibraryStats,
  type PartitionSearchResult,
  type PartitionServingState,
  type PartitionState,
  type SampledVector,
  type ShardClient,
  type ShardGetRequest,
  type ShardGetResponse,
  type ShardLibraryStats,
  type ShardNodeStats,
  type ShardNodeStatsRequest,
  type ShardSampleRequest,
  type ShardSampleResponse,
  type ShardSearchRequest,
  type ShardSearchResponse,
  type ShardStatus,
  type ShardTrainRequest,
  type ShardTrainResponse,
} from "@quiver/api";
import type { WorkspaceFigures } from "@quiver/engine";
import type { EventLog, KvStore } from "@quiver/log";
import {
  AggregatorRegistry,
  type LibraryMemoryRow,
  type Logger,
  maxLibrarySeries,
  type MetricsSource,
  Registry,
  registerLibraryMetrics,
  silentLogger,
} from "@quiver/telemetry";
import { BenchmarkRunner } from "../benchmark/benchmark-runner.js";
import { type LibrarySampler, LibraryTrainings } from "../training/library-trainings.js";
import { NodeStatsPages } from "./node-stats-pages.js";
import type { PartitionWorkerConfig, WorkerLogConfig } from "../worker/protocol.js";
import { defaultWorkerCount, type PartitionWorker, PartitionWorkers } from "./partition-workers.js";
import { DEFAULT_SEARCH_COOLDOWN_MS, SearchGate } from "@quiver/threads";

export interface ShardNodeOptions {
  shardId: string;
  /** Directory of the shard's LMDB environment (every worker thread opens it). */
  storePath: string;
  /** Where the workers read the event log. */
  log: WorkerLogConfig;
  /** Worker threads the partitions run on (default: QUIVER_SHARD_WORKERS, else one per core). */
  workers?: number;
  logger?: Logger;
  logLevel?: string;
  snapshotEveryEvents?: number;
  snapshotEveryMs?: number;
  /** The main thread's own metrics (process metrics), exported with the workers'. */
  registry?: Registry;
  /** Libraries the node exports per-library series for (QUIVER_METRICS_MAX_LIBRARIES). */
  maxLibrarySeries?: number;
  /**
   * How long applying, snapshots and rebuilds keep off the cores after the node's last search
   * ended (default: QUIVER_SEARCH_COOLDOWN_MS, else 2 ms).
   */
  searchCooldownMs?: number;
  /**
   * Trainings of libraries' quantizers: the log they are appended to, and how a sample across a
   * library's partitions is drawn (default: from this node, which then serves them all).
   */
  training?: { log: EventLog; sampler?: LibrarySampler };
  /**
   * Benchmark jobs: the KV store of their records (the catalog's), and how long the node holds a
   * job without reporting (default DEFAULT_JOB_LEASE_MS). They sample as the trainings do.
   */
  benchmarks?: { kv: KvStore; leaseMs?: number };
}

/**
 * A shard node: hosts the partitions assigned to it on a pool of worker threads (each partition
 * in one thread, with its applier, LMDB handles and indexes) and answers searches and reads for
 * them by routing each partition's part to its thread; a search over partitions of several
 * threads runs on them in parallel. This thread keeps only routing, so RPC, heartbeats and
 * /metrics never wait behind an insert, a training or a snapshot. Implements ShardClient: a
 * coordinator in the same process (embedded mode) calls it directly, a cluster puts NATS
 * request/reply in between.
 */
/** QUIVER_SEARCH_COOLDOWN_MS: ms that background work keeps off after a search (default 2). */
export function searchCooldownFrom(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.QUIVER_SEARCH_COOLDOWN_MS;
  if (raw === undefined || raw === "") return DEFAULT_SEARCH_COOLDOWN_MS;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 0 || ms > 1_000)
    throw new Error("QUIVER_SEARCH_COOLDOWN_MS must be a whole number of ms in [0, 1000]");
  return ms;
}

/** How long a status waits for a worker thread's figures. */
const STATUS_WAIT_MS = 1_000;

/** `promise`, or `fallback` once `ms` have passed. */
function withTimeout<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  return Promise.race([promise.catch(() => fallback), late]).finally(() => clearTimeout(timer));
}

/** Bytes of one page of a sample between a worker thread and this one. */
const SAMPLE_PAGE_BYTES = 1024 * 1024;

export class ShardNode implements ShardClient {
  readonly shardId: string;
  private readonly workers: PartitionWorkers;
  /** Searches in flight, seen by every worker thread (their applying gives way to them). */
  private readonly searchGate: SearchGate;
  private readonly stateOf = new Map<number, PartitionServingState>();
  private readonly logger: Logger;
  private readonly registry: Registry;
  private readonly trainings: LibraryTrainings | undefined;
  private readonly benchmarks: BenchmarkRunner | undefined;
  /** Every library's statistics, paged over one gathering per round. */
  private readonly statsPages = new NodeStatsPages(() => this.gatherLibraryStats());
  private closed = false;
  /** Assignment changes run one after another. */
  private assigning: Promise<void> = Promise.resolve();

  private constructor(options: ShardNodeOptions) {
    this.shardId = options.shardId;
    this.logger = (options.logger ?? silentLogger()).child({ shard: options.shardId });
    this.registry = options.registry ?? new Registry();
    this.searchGate = SearchGate.create(options.searchCooldownMs ?? searchCooldownFrom());
    registerLibraryMetrics(
      this.registry,
      () => this.libraryMemory(),
      options.maxLibrarySeries ?? maxLibrarySeries(),
    );
    const config: Omit<PartitionWorkerConfig, "workerIndex"> = {
      shardId: options.shardId,
      storePath: options.storePath,
      log: options.log,
      snapshotEveryEvents: options.snapshotEveryEvents,
      snapshotEveryMs: options.snapshotEveryMs,
      // a node that logs nowhere has silent threads too
      logLevel: options.logLevel ?? (options.logger ? undefined : "silent"),
      searchGate: this.searchGate.buffer,
    };
    this.workers = new PartitionWorkers({
      config,
      count: options.workers ?? defaultWorkerCount(),
      logger: this.logger,
      onState: (partition, state) => {
        if (this.workers.workerOf(partition)) this.stateOf.set(partition, state);
      },
    });
    const { training, benchmarks } = options;
    const sampler: LibrarySampler =
      training?.sampler ??
      (async (library, count, seed) => {
        const partitions = Array.from({ length: library.partitions }, (_, p) => p);
        const { libraryId } = library;
        return (await this.sample({ libraryId, partitions, count, seed })).vectors;
      });
    this.trainings =
      training && new LibraryTrainings({ log: training.log, logger: this.logger, sampler });
    this.benchmarks =
      benchmarks &&
      new BenchmarkRunner({
        shardId: this.shardId,
        kv: benchmarks.kv,
        leaseMs: benchmarks.leaseMs,
        sampler,
        logger: this.logger,
      });
  }

  /** A node with its worker threads started (each has opened the store and the log). */
  static async start(options: ShardNodeOptions): Promise<ShardNode> {
    const node = new ShardNode(options);
    try {
      await node.workers.ready();
    } catch (error) {
      await node.workers.close(5_000);
      throw error;
    }
    node.logger.info({ workers: node.workers.size }, "shard node started");
    return node;
  }

  /** Worker threads the partitions run on. */
  get workerCount(): number {
    return this.workers.size;
  }

  /** Each hosted partition and its state, now. */
  states(): { partition: number; state: PartitionServingState }[] {
    return this.partitions().map((partition) => ({
      partition,
      state: this.stateOf.get(partition) ?? "catching_up",
    }));
  }

  /** Partitions hosted now (serving or catching up). */
  partitions(): number[] {
    return [...this.stateOf.keys()].sort((a, b) => a - b);
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
    for (const partition of this.partitions()) {
      if (wanted.has(partition)) continue;
      this.stateOf.delete(partition);
      await this.workers.release(partition);
    }
    const added = [...wanted].filter((p) => !this.stateOf.has(p));
    for (const p of added) this.stateOf.set(p, "catching_up");
    await Promise.all(added.map((p) => this.workers.host(p)));
  }

  /** Calls `each` on every thread hosting some of `partitions`, with its share of them. */
  private fanOut<T>(
    partitions: Iterable<number>,
    each: (worker: PartitionWorker, partitions: number[]) => Promise<T>,
  ): Promise<T[]> {
    return Promise.all(
      [...this.workers.byWorker(partitions)].map(([worker, ps]) => each(worker, ps)),
    );
  }

  async search(request: ShardSearchRequest): Promise<ShardSearchResponse> {
    this.searchGate.enter();
    try {
      return await this.searchPartitions(request);
    } finally {
      this.searchGate.leave();
    }
  }

  private async searchPartitions(request: ShardSearchRequest): Promise<ShardSearchResponse> {
    const answered = await this.fanOut(request.partitions, (worker, partitions) =>
      worker
        .call("search", { ...request, partitions })
        .catch((error: Error): ShardSearchResponse => ({
          results: failed(partitions, "INTERNAL", error.message),
        })),
    );
    const results: PartitionSearchResult[] = answered.flatMap((a) => a.results);
    for (const partition of request.partitions) {
      if (!this.workers.workerOf(partition))
        results.push({ partition, error: notServed(this.shardId, partition) });
    }
    // the threads search in parallel: the slowest one's time is the node's
    const timed = answered.flatMap((a) => (a.timings ? [a.timings] : []));
    if (!request.timings || timed.length === 0) return { results };
    const slowest = timed.reduce((a, b) => (b.searchMs > a.searchMs ? b : a));
    return { results, timings: slowest };
  }

  async get(request: ShardGetRequest): Promise<ShardGetResponse> {
    const worker = this.workers.workerOf(request.partition);
    if (!worker) return { error: notServed(this.shardId, request.partition) };
    return worker.call("get", request);
  }

  async waitApplied(
    minSeqs: Record<number, number>,
    timeoutMs: number,
  ): Promise<Record<number, number>> {
    const out: Record<number, number> = {};
    const partitions = Object.keys(minSeqs).map(Number);
    for (const p of partitions) out[p] = -1;
    const answers = await this.fanOut(partitions, (worker, ps) =>
      worker
        .call("waitApplied", {
          minSeqs: Object.fromEntries(ps.map((p) => [p, minSeqs[p]])),
          timeoutMs,
        })
        .catch(() => ({})),
    );
    for (const answer of answers) Object.assign(out, answer);
    return out;
  }

  /**
   * Every hosted partition's state as this thread knows it (the threads report each change), with
   * its applied sequence and error from its thread when that answers within STATUS_WAIT_MS (-1
   * when not: a thread busy applying still serves, and readiness must not wait for it).
   */
  async status(): Promise<ShardStatus> {
    const answers = await Promise.all(
      this.workers.all().map((w) => withTimeout(w.call("status"), STATUS_WAIT_MS, [])),
    );
    const reported = new Map(answers.flat().map((p) => [p.partition, p]));
    const partitions: PartitionState[] = [...this.stateOf].map(([partition, state]) => {
      const known = reported.get(partition);
      return {
        partition,
        state,
        appliedSeq: known?.appliedSeq ?? -1,
        ...(known?.error !== undefined ? { error: known.error } : {}),
      };
    });
    partitions.sort((a, b) => a.partition - b.partition);
    return { shardId: this.shardId, partitions };
  }

  async libraryStats(libraryId: string, partitions: number[]): Promise<ShardLibraryStats> {
    const answers = await this.fanOut(partitions, (worker, ps) =>
      worker.call("libraryStats", { libraryId, partitions: ps }).catch(() => []),
    );
    const out: PartitionLibraryStats[] = answers.flat();
    out.sort((a, b) => a.partition - b.partition);
    return { shardId: this.shardId, partitions: out };
  }

  async nodeStats(request: ShardNodeStatsRequest = {}): Promise<ShardNodeStats> {
    return { shardId: this.shardId, ...(await this.statsPages.page(request)) };
  }

  /** Every library of every serving partition, from each worker thread. */
  private async gatherLibraryStats(): Promise<LibraryPartitionStats[]> {
    const answers = await Promise.all(
      this.workers.all().map((w) => w.call("allLibraryStats").catch(() => [])),
    );
    return answers.flat();
  }

  /** What every serving partition holds of every library (bytes by component). */
  async libraryMemory(): Promise<LibraryMemoryRow[]> {
    const answers = await Promise.all(
      this.workers.all().map((w) => w.call("libraryMemory").catch(() => [])),
    );
    return answers.flat();
  }

  /**
   * A seeded sample over the partitions asked, split by their live vector counts, in pages of at
   * most maxBytes: partition by partition in ascending order, each drawn on its own thread.
   */
  async sample(request: ShardSampleRequest): Promise<ShardSampleResponse> {
    if (request.maxBytes !== undefined) return this.samplePage(request);
    // page by page, as over NATS: no thread reads, clones or receives tens of megabytes at once
    // (a 50,000-vector sample of 784-d is 157 MB)
    const vectors: SampledVector[] = [];
    let offset: number | undefined = request.offset ?? 0;
    while (offset !== undefined) {
      const page = await this.samplePage({ ...request, offset, maxBytes: SAMPLE_PAGE_BYTES });
      for (const v of page.vectors) vectors.push(v);
      offset = page.next;
    }
    return { vectors };
  }

  private async samplePage(request: ShardSampleRequest): Promise<ShardSampleResponse> {
    const sizes: Record<number, number> = {};
    const answers = await this.fanOut(request.partitions, (worker, partitions) =>
      worker.call("sizes", { libraryId: request.libraryId, partitions }).catch(() => ({})),
    );
    for (const answer of answers) Object.assign(sizes, answer);
    const partitions = Object.keys(sizes)
      .map(Number)
      .sort((a, b) => a - b);
    const counts = apportion(
      request.count,
      partitions.map((p) => sizes[p]),
    );
    const vectors: SampledVector[] = [];
    let budget = request.maxBytes ?? Number.POSITIVE_INFINITY;
    let at = request.offset ?? 0;
    let start = 0;
    for (let i = 0; i < partitions.length; i++) {
      const partition = partitions[i];
      const end = start + counts[i];
      const worker = this.workers.workerOf(partition);
      if (at < end && worker) {
        const page = await worker.call("samplePage", {
          libraryId: request.libraryId,
          partition,
          count: counts[i],
          seed: (request.seed ^ Math.imul(partition + 1, 0x9e3779b1)) >>> 0,
          offset: at - start,
          maxBytes: budget,
          // a page holds one vector at least, even when it is larger than maxBytes
          atLeastOne: vectors.length === 0,
        });
        for (const v of page.vectors) budget -= v.vector.byteLength + v.id.length;
        vectors.push(...page.vectors);
        if (page.next !== undefined) return { vectors, next: start + page.next };
        at = end;
      }
      start = end;
    }
    return { vectors };
  }

  /** Trains a library's quantizer once for all its partitions (see ShardTrainRequest). */
  async train(request: ShardTrainRequest): Promise<ShardTrainResponse> {
    if (!this.trainings) throw new Error(`shard ${this.shardId} runs no trainings`);
    return this.trainings.train(request);
  }

  /** Takes a benchmark job over and starts it (see ShardBenchmarkRequest). */
  async benchmark(request: ShardBenchmarkRequest): Promise<ShardBenchmarkResponse> {
    if (!this.benchmarks) throw new Error(`shard ${this.shardId} runs no benchmarks`);
    return this.benchmarks.start(request);
  }

  /** Each worker thread's kernel workspace figures. */
  workspaceFigures(): Promise<WorkspaceFigures[]> {
    return Promise.all(this.workers.all().map((w) => w.call("workspaceFigures")));
  }

  /** The node's metrics: this thread's registry and every worker's, merged. */
  metrics(): MetricsSource {
    return {
      metrics: async () => {
        const parts = await Promise.all([
          this.registry.getMetricsAsJSON(),
          ...this.workers.all().map((w) => w.call("metrics").catch(() => [])),
        ]);
        return AggregatorRegistry.aggregate(parts as never).metrics();
      },
    };
  }

  /** Stops every partition (with a last snapshot, for a fast restart) and the threads. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.assigning;
    this.stateOf.clear();
    this.trainings?.close();
    await this.benchmarks?.close();
    if (!(await this.workers.close())) {
      // left running (see PartitionWorker.close): the process must exit without waiting for it
      throw new Error("a partition worker did not close in time");
    }
  }
}

function notServed(shardId: string, partition: number): PartitionFailure {
  return {
    code: "PARTITION_NOT_SERVED",
    message: `shard ${shardId} does not serve partition ${partition} (not assigned)`,
  };
}

function failed(
  partitions: number[],
  code: PartitionFailure["code"],
  message: string,
): PartitionSearchResult[] {
  return partitions.map((partition) => ({ partition, error: { code, message } }));
}
