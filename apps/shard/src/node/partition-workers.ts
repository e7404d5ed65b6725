import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import type { PartitionServingState } from "@quiver/api";
import { type Logger, silentLogger } from "@quiver/telemetry";
import {
  RequestedThread,
  RpcClient,
  startWorker,
  ThreadClosedError,
  workerEntry,
} from "@quiver/threads";
import {
  ANSWERED_FIRST,
  type PartitionWorkerConfig,
  type PartitionWorkerEvent,
  type PartitionWorkerOp,
  type PartitionWorkerOps,
} from "../worker/protocol.js";

const WORKER_ENTRY = workerEntry("../worker/partition-worker.ts", import.meta.url);

/** Worker threads a shard node runs its partitions on: QUIVER_SHARD_WORKERS, else one per core. */
export function defaultWorkerCount(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.QUIVER_SHARD_WORKERS;
  if (raw === undefined || raw === "") return availableParallelism();
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 256)
    throw new Error("QUIVER_SHARD_WORKERS must be a whole number in [1, 256]");
  return n;
}

/** One partition worker thread as the main thread sees it. */
export class PartitionWorker {
  readonly partitions = new Set<number>();
  private client!: RpcClient;
  private thread!: Worker;
  private closing = false;
  private started!: Promise<void>;
  /** Told of each search and read posted to the thread (see ThreadPriority). */
  private requests: RequestedThread | undefined;

  constructor(
    readonly index: number,
    private readonly config: PartitionWorkerConfig,
    private readonly onState: (partition: number, state: PartitionServingState) => void,
    private readonly onCrash: (worker: PartitionWorker, error: Error) => void,
  ) {
    this.spawn();
  }

  /** Resolves once the thread has opened its store and log. */
  ready(): Promise<void> {
    return this.started;
  }

  private spawn(): void {
    this.thread = startWorker(WORKER_ENTRY, { workerData: { config: this.config } });
    let ready!: () => void;
    let failed!: (error: Error) => void;
    this.started = new Promise<void>((resolve, reject) => {
      ready = resolve;
      failed = reject;
    });
    this.client = new RpcClient(this.thread, (event) => {
      const e = event as PartitionWorkerEvent;
      if (e.type === "ready") {
        this.requests = new RequestedThread(e.requests);
        ready();
      } else if (e.type === "state") this.onState(e.partition, e.state);
    });
    let ended = false;
    const end = (error: Error) => {
      if (ended) return;
      ended = true;
      failed(error);
      this.client.close(error);
      if (!this.closing) this.onCrash(this, error);
    };
    this.thread.on("error", (error) =>
      end(new ThreadClosedError(`partition worker ${this.index}: ${error.message}`)),
    );
    this.thread.on("exit", (code) =>
      end(new ThreadClosedError(`partition worker ${this.index} exited (${code})`)),
    );
  }

  /** Starts a new thread in place of one that died (its partitions are hosted again by the caller). */
  respawn(): void {
    this.spawn();
  }

  call<Op extends PartitionWorkerOp>(
    op: Op,
    args?: PartitionWorkerOps[Op][0],
  ): Promise<PartitionWorkerOps[Op][1]> {
    const answer = this.client.call<PartitionWorkerOps[Op][1]>(op, args);
    // after the post: the thread, told, lets the request through at its next unit of work
    if (ANSWERED_FIRST.has(op)) this.requests?.posted();
    return answer;
  }

  /**
   * Releases every partition (their last snapshots, started within half the time), then ends
   * the thread. False when the thread did not close in time: it is then left running, since
   * terminating a thread inside an LMDB transaction deadlocks lmdb-js's clean-up (the process
   * never exits); the caller's process exits without it (LMDB and the applier survive a crash).
   */
  async close(timeoutMs: number): Promise<boolean> {
    this.closing = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const closed = this.call("close", { snapshotMs: timeoutMs / 2 }).then(
      () => true,
      () => true,
    );
    const done = await Promise.race([closed, timeout]);
    clearTimeout(timer);
    if (done) await this.thread.terminate();
    return done;
  }
}

export interface PartitionWorkersOptions {
  config: Omit<PartitionWorkerConfig, "workerIndex">;
  count: number;
  logger?: Logger;
  onState(partition: number, state: PartitionServingState): void;
}

/**
 * The worker threads of a shard node and which partition lives in which: each partition in
 * exactly one thread, a new partition on the thread that holds the fewest. A thread that dies is
 * started again and hosts its partitions again (they restore from their snapshots and the log).
 */
export class PartitionWorkers {
  private readonly workers: PartitionWorker[];
  private readonly logger: Logger;
  private closed = false;
  private readonly crashStreak = new Map<number, number>();
  private readonly lastCrashMs = new Map<number, number>();

  constructor(private readonly options: PartitionWorkersOptions) {
    this.logger = options.logger ?? silentLogger();
    this.workers = Array.from(
      { length: options.count },
      (_, index) =>
        new PartitionWorker(
          index,
          { ...options.config, workerIndex: index },
          options.onState,
          (worker, error) => this.crashed(worker, error),
        ),
    );
  }

  async ready(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.ready()));
  }

  get size(): number {
    return this.workers.length;
  }

  all(): readonly PartitionWorker[] {
    return this.workers;
  }

  workerOf(partition: number): PartitionWorker | undefined {
    return this.workers.find((w) => w.partitions.has(partition));
  }

  /** Hosts `partition` on the least loaded thread; resolves once it serves (or failed to). */
  async host(partition: number): Promise<void> {
    if (this.workerOf(partition)) return;
    const worker = this.workers.reduce((a, b) => (b.partitions.size < a.partitions.size ? b : a));
    worker.partitions.add(partition);
    await worker.call("host", { partition });
  }

  async release(partition: number): Promise<void> {
    const worker = this.workerOf(partition);
    if (!worker) return;
    await worker.call("release", { partition });
    worker.partitions.delete(partition);
  }

  /** Groups partitions by the thread that hosts them (partitions hosted nowhere are left out). */
  byWorker(partitions: Iterable<number>): Map<PartitionWorker, number[]> {
    const out = new Map<PartitionWorker, number[]>();
    for (const p of partitions) {
      const worker = this.workerOf(p);
      if (!worker) continue;
      const list = out.get(worker);
      if (list) list.push(p);
      else out.set(worker, [p]);
    }
    return out;
  }

  private crashed(worker: PartitionWorker, error: Error): void {
    if (this.closed) return;
    const partitions = [...worker.partitions];
    // a thread that keeps dying at once is started again less and less often
    const now = Date.now();
    const recent = now - (this.lastCrashMs.get(worker.index) ?? 0) < 60_000;
    const streak = recent ? (this.crashStreak.get(worker.index) ?? 0) + 1 : 0;
    this.crashStreak.set(worker.index, streak);
    this.lastCrashMs.set(worker.index, now);
    const delayMs = Math.min(30_000, streak === 0 ? 0 : 250 * 2 ** streak);
    this.logger.error(
      { worker: worker.index, partitions, err: error, restartInMs: delayMs },
      "partition worker died; starting it again",
    );
    for (const p of partitions) this.options.onState(p, "stopped");
    setTimeout(() => {
      if (this.closed) return;
      worker.respawn();
      void worker
        .ready()
        .then(() => Promise.all(partitions.map((p) => worker.call("host", { partition: p }))))
        .catch((e: unknown) => this.logger.error({ err: e }, "partition worker restart failed"));
    }, delayMs).unref();
  }

  /** Closes every thread; false when one did not close in time (see PartitionWorker.close). */
  async close(timeoutMs = 20_000): Promise<boolean> {
    this.closed = true;
    const closed = await Promise.all(this.workers.map((w) => w.close(timeoutMs)));
    if (closed.every(Boolean)) return true;
    this.logger.error(
      { timeoutMs },
      "a partition worker did not close in time; the process exits without it",
    );
    return false;
  }
}
