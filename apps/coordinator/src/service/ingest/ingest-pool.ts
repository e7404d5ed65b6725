import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import { ApiError } from "@quiver/api";
import { RpcClient, startWorker, workerEntry } from "@quiver/threads";
import type { PreparedUpsert, UpsertTarget } from "./prepare-upsert.js";

const ENTRY = workerEntry("./ingest-thread.ts", import.meta.url);

/** Ingest threads of a coordinator: QUIVER_INGEST_WORKERS, else one per two cores (one at least). */
export function defaultIngestWorkers(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.QUIVER_INGEST_WORKERS;
  if (raw === undefined || raw === "") return Math.max(1, Math.floor(availableParallelism() / 2));
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new Error("QUIVER_INGEST_WORKERS must be a whole number in [1, 64]");
  return n;
}

interface IngestThread {
  worker: Worker;
  client: RpcClient;
  ready: Promise<void>;
}

/**
 * The threads that prepare upserts (prepare-upsert.ts) for a coordinator: a request goes to the
 * thread with the fewest in flight; its body moves there uncopied and its events come back so.
 * A thread that dies is replaced; the requests it held fail with a 500. The threads start with
 * start() (once the coordinator serves: loading them would slow its start) or the first upsert.
 */
export class IngestPool {
  private readonly threads: IngestThread[] = [];
  private closed = false;

  constructor(private readonly size = defaultIngestWorkers()) {}

  /** Starts the threads, if not yet started. */
  start(): void {
    if (this.closed) return;
    while (this.threads.length < this.size) this.threads.push(this.spawn());
  }

  private spawn(): IngestThread {
    const worker = startWorker(ENTRY);
    let ready!: () => void;
    const thread: IngestThread = {
      worker,
      client: new RpcClient(worker, (event) => {
        if ((event as { type?: string }).type === "ready") ready();
      }),
      ready: new Promise<void>((resolve) => (ready = resolve)),
    };
    // no request keeps the process alive by itself; the serving thread does
    worker.unref();
    worker.once("exit", (code) => {
      thread.client.close(new Error(`an ingest thread exited (${code})`));
      const at = this.threads.indexOf(thread);
      if (!this.closed && at >= 0) this.threads[at] = this.spawn();
    });
    return thread;
  }

  /** The body's events, or throws the 4xx ApiError that names the bad field. */
  async prepareUpsert(
    body: Uint8Array,
    target: UpsertTarget,
    idempotencyKey: string | undefined,
  ): Promise<Extract<PreparedUpsert, { ok: true }>> {
    this.start();
    if (this.threads.length === 0) throw new Error("the ingest threads are closed");
    const thread = this.threads.reduce((a, b) => (b.client.inFlight < a.client.inFlight ? b : a));
    await thread.ready;
    // a body of its own, to move (a framework buffer may be a view of a larger pool)
    const own =
      body.byteOffset === 0 && body.byteLength === body.buffer.byteLength ? body : body.slice();
    const prepared = await thread.client.call<PreparedUpsert>(
      "prepareUpsert",
      { body: own, target, idempotencyKey },
      [own.buffer as ArrayBuffer],
    );
    if (!prepared.ok) {
      const { code, message, details } = prepared.error;
      throw new ApiError(code, message, details, prepared.status);
    }
    return prepared;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}
