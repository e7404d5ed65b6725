import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { WORKER_BOOT } from "@quiver/threads";
import type { PartitionLibrary } from "@quiver/store";
import type { RebuildInput, RebuildMessage } from "./rebuild-protocol.js";

const WORKER_ENTRY = fileURLToPath(new URL("./rebuild-worker.ts", import.meta.url));

/** The index a rebuild produced: serializeIndex's bytes and the quantizer to persist. */
export interface RebuiltIndex {
  snapshot: Uint8Array;
  quantizer: Uint8Array | undefined;
}

export interface RebuildRequest {
  /** The library under the config to build. */
  record: PartitionLibrary;
  /** The trained quantizer the codes are built with (undefined: float32, or exact until trained). */
  quantizer?: Uint8Array;
  /**
   * Called when the rebuild's turn comes: the vectors to build from, read at that moment (the
   * caller tracks what changes after it).
   */
  collect(): { ids: Int32Array; values: Float32Array; capacity: number };
  progress(done: number, total: number): void;
}

export interface RebuildHandle {
  readonly result: Promise<RebuiltIndex>;
  /** Drops the rebuild (queued or running); its result rejects with RebuildCancelledError. */
  cancel(): void;
}

export class RebuildCancelledError extends Error {
  override readonly name = "RebuildCancelledError";
}

interface Job {
  request: RebuildRequest;
  resolve(index: RebuiltIndex): void;
  reject(error: unknown): void;
  worker?: Worker;
  settled: boolean;
}

/**
 * Runs index rebuilds for a shard node one at a time, each in a worker thread: one rebuild's
 * memory (the vectors and the new index) at a time, and one core left to the event loop.
 */
export class IndexRebuilder {
  private readonly queue: Job[] = [];
  private running: Job | undefined;

  submit(request: RebuildRequest): RebuildHandle {
    let job!: Job;
    const result = new Promise<RebuiltIndex>((resolve, reject) => {
      job = { request, resolve, reject, settled: false };
    });
    this.queue.push(job);
    this.next();
    return {
      result,
      cancel: () => this.cancel(job),
    };
  }

  /** Rebuilds queued or running. */
  get pending(): number {
    return this.queue.length + (this.running ? 1 : 0);
  }

  private cancel(job: Job): void {
    if (job.settled) return;
    const queued = this.queue.indexOf(job);
    if (queued >= 0) this.queue.splice(queued, 1);
    void job.worker?.terminate();
    this.settle(job, () => job.reject(new RebuildCancelledError("rebuild cancelled")));
  }

  private settle(job: Job, how: () => void): void {
    if (job.settled) return;
    job.settled = true;
    how();
    if (this.running === job) {
      this.running = undefined;
      this.next();
    }
  }

  private next(): void {
    if (this.running) return;
    const job = this.queue.shift();
    if (!job) return;
    this.running = job;
    let input: RebuildInput;
    try {
      const { ids, values, capacity } = job.request.collect();
      input = {
        record: job.request.record,
        quantizer: job.request.quantizer,
        ids,
        values,
        capacity,
      };
    } catch (error) {
      this.settle(job, () => job.reject(error));
      return;
    }
    job.request.progress(0, input.ids.length);
    let worker: Worker;
    try {
      worker = new Worker(WORKER_BOOT, {
        workerData: { entry: WORKER_ENTRY, input },
        transferList: [input.ids.buffer as ArrayBuffer, input.values.buffer as ArrayBuffer],
      });
    } catch (error) {
      // no thread to be had (resources): this rebuild fails, the next one may get one
      this.settle(job, () => job.reject(error));
      return;
    }
    job.worker = worker;
    worker.on("message", (message: RebuildMessage) => {
      if (message.type === "progress") job.request.progress(message.done, message.total);
      else {
        this.settle(job, () =>
          job.resolve({ snapshot: message.snapshot, quantizer: message.quantizer }),
        );
        void worker.terminate();
      }
    });
    worker.on("error", (error) => this.settle(job, () => job.reject(error)));
    worker.on("exit", (code) =>
      this.settle(job, () =>
        job.reject(new Error(`the rebuild worker exited with code ${code} before it finished`)),
      ),
    );
  }
}
