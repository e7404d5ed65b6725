import type { Worker } from "node:worker_threads";
import { startWorker, workerEntry } from "@quiver/threads";
import type { PartitionLibrary } from "@quiver/store";
import type { RebuildInput, RebuildJobMessage, RebuildMessage } from "./rebuild-protocol.js";

const WORKER_ENTRY = workerEntry("./rebuild-worker.ts", import.meta.url);

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
  collect():
    | { ids: Int32Array; values: Float32Array; capacity: number }
    | Promise<{ ids: Int32Array; values: Float32Array; capacity: number }>;
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
  id: number;
  request: RebuildRequest;
  resolve(index: RebuiltIndex): void;
  reject(error: unknown): void;
  settled: boolean;
}

/** A rebuild thread with nothing to do leaves after this long (its memory with it). */
const IDLE_MS = 30_000;

/**
 * Runs index rebuilds one at a time in a rebuild thread of their own (kept for the next one,
 * ended when idle): one rebuild's memory (the vectors and the new index) at a time, at the
 * lowest CPU priority, off the partition thread that serves.
 */
export class IndexRebuilder {
  private readonly queue: Job[] = [];
  private running: Job | undefined;
  private thread: Worker | undefined;
  private idle: NodeJS.Timeout | undefined;
  private nextId = 1;

  submit(request: RebuildRequest): RebuildHandle {
    let job!: Job;
    const result = new Promise<RebuiltIndex>((resolve, reject) => {
      job = { id: this.nextId++, request, resolve, reject, settled: false };
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
    // a running build stops with its thread; the next build gets a new one
    if (this.running === job) this.endThread();
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

  private endThread(): void {
    const thread = this.thread;
    this.thread = undefined;
    if (thread) {
      thread.removeAllListeners();
      void thread.terminate();
    }
  }

  /** The rebuild thread, started when there is none. */
  private rebuildThread(): Worker {
    if (this.thread) return this.thread;
    const thread = startWorker(WORKER_ENTRY);
    // a build in flight is awaited by its partition thread, which stays alive for it
    thread.unref();
    thread.on("message", (message: RebuildMessage) => {
      const job = this.running;
      if (!job || message.job !== job.id) return;
      if (message.type === "progress") job.request.progress(message.done, message.total);
      else if (message.type === "failed") {
        this.settle(job, () => job.reject(new Error(message.message)));
      } else {
        this.settle(job, () =>
          job.resolve({ snapshot: message.snapshot, quantizer: message.quantizer }),
        );
      }
    });
    const lost = (error: Error) => {
      if (this.thread !== thread) return;
      this.thread = undefined;
      const job = this.running;
      if (job) this.settle(job, () => job.reject(error));
    };
    thread.on("error", lost);
    thread.on("exit", (code) =>
      lost(new Error(`the rebuild thread exited with code ${code} before it finished`)),
    );
    this.thread = thread;
    return thread;
  }

  private next(): void {
    if (this.running) return;
    const job = this.queue.shift();
    clearTimeout(this.idle);
    if (!job) {
      this.idle = setTimeout(() => this.endThread(), IDLE_MS);
      this.idle.unref();
      return;
    }
    this.running = job;
    void this.build(job);
  }

  private async build(job: Job): Promise<void> {
    let input: RebuildInput;
    try {
      const { ids, values, capacity } = await job.request.collect();
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
    // cancelled while its rows were read
    if (job.settled || this.running !== job) return;
    job.request.progress(0, input.ids.length);
    let thread: Worker;
    try {
      thread = this.rebuildThread();
    } catch (error) {
      // no thread to be had (resources): this rebuild fails, the next one may get one
      this.settle(job, () => job.reject(error));
      return;
    }
    const message: RebuildJobMessage = { type: "build", job: job.id, input };
    thread.postMessage(message, [
      input.ids.buffer as ArrayBuffer,
      input.values.buffer as ArrayBuffer,
    ]);
  }

  /** Ends the rebuild thread (a node closing); builds still queued stay queued. */
  close(): void {
    clearTimeout(this.idle);
    this.endThread();
  }
}
