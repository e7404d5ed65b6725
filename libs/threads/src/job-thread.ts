import type { Worker } from "node:worker_threads";
import { startWorker } from "./worker-url.js";

/** A job's message to its thread, and the thread's answer. */
interface JobRequest {
  job: number;
  input: unknown;
}
type JobReply =
  | { job: number; output: unknown }
  | { job: number; error: string }
  | { job: number; progress: unknown };

interface Queued {
  id: number;
  input: unknown;
  transfer: ArrayBuffer[];
  onProgress?: (progress: unknown) => void;
  resolve(output: unknown): void;
  reject(error: Error): void;
}

/**
 * Jobs run one after another in a thread of their own, kept for the next job and ended after
 * `idleMs` without one (its memory with it). The thread's module (`entry`, from workerEntry) serves
 * the jobs with serveJobs. The thread does not keep the process alive by itself.
 */
export class JobThread<Input, Output> {
  private readonly queue: Queued[] = [];
  private running: Queued | undefined;
  private thread: Worker | undefined;
  private idle: NodeJS.Timeout | undefined;
  private nextId = 1;

  constructor(
    private readonly entry: string,
    private readonly idleMs = 30_000,
  ) {}

  /**
   * Runs `input` after the jobs queued before it; its buffers in `transfer` move to the thread.
   * `onProgress` receives what the job reports while it runs (serveJobs' `progress`).
   */
  run(
    input: Input,
    transfer: ArrayBuffer[] = [],
    onProgress?: (progress: unknown) => void,
  ): Promise<Output> {
    return new Promise<Output>((resolve, reject) => {
      this.queue.push({
        id: this.nextId++,
        input,
        transfer,
        onProgress,
        resolve: resolve as (output: unknown) => void,
        reject,
      });
      this.next();
    });
  }

  /** Jobs queued or running. */
  get pending(): number {
    return this.queue.length + (this.running ? 1 : 0);
  }

  private start(): Worker {
    const thread = startWorker(this.entry);
    thread.unref();
    thread.on("message", (reply: JobReply) => {
      const job = this.running;
      if (!job || reply.job !== job.id) return;
      if ("progress" in reply) return job.onProgress?.(reply.progress);
      this.running = undefined;
      if ("error" in reply) job.reject(new Error(reply.error));
      else job.resolve(reply.output);
      this.next();
    });
    const lost = (error: Error) => {
      if (this.thread !== thread) return;
      this.thread = undefined;
      const job = this.running;
      this.running = undefined;
      job?.reject(error);
      this.next();
    };
    thread.on("error", lost);
    thread.on("exit", (code) => lost(new Error(`the job thread exited with code ${code}`)));
    this.thread = thread;
    return thread;
  }

  private next(): void {
    if (this.running) return;
    clearTimeout(this.idle);
    const job = this.queue.shift();
    if (!job) {
      this.idle = setTimeout(() => this.close(), this.idleMs);
      this.idle.unref();
      return;
    }
    this.running = job;
    try {
      const request: JobRequest = { job: job.id, input: job.input };
      (this.thread ?? this.start()).postMessage(request, job.transfer);
    } catch (error) {
      // no thread to be had (resources): this job fails, the next one may get one
      this.running = undefined;
      job.reject(error as Error);
      this.next();
    }
  }

  /** Ends the thread; a job running fails, queued ones wait for the next thread. */
  close(): void {
    clearTimeout(this.idle);
    const thread = this.thread;
    this.thread = undefined;
    if (!thread) return;
    thread.removeAllListeners();
    void thread.terminate();
    const job = this.running;
    this.running = undefined;
    job?.reject(new Error("the job thread was closed"));
  }
}

/**
 * The thread side of a JobThread: runs each job with `work` and answers its output (whose
 * `transfer` buffers move back) or its error; `progress` posts a report to the job's caller.
 */
export function serveJobs<Input, Output>(
  port: {
    on(event: "message", f: (m: JobRequest) => void): unknown;
    postMessage(m: unknown, t?: ArrayBuffer[]): void;
  },
  work: (
    input: Input,
    progress: (report: unknown) => void,
  ) => { output: Output; transfer?: ArrayBuffer[] },
): void {
  port.on("message", ({ job, input }) => {
    const progress = (report: unknown) =>
      port.postMessage({ job, progress: report } satisfies JobReply);
    try {
      const { output, transfer } = work(input as Input, progress);
      port.postMessage({ job, output } satisfies JobReply, transfer ?? []);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      port.postMessage({ job, error: message } satisfies JobReply);
    }
  });
}
