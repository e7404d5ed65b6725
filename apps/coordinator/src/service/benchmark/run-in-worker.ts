import type { BenchmarkInput, StrategyMeasurement } from "@quiver/engine";
import { startWorker, workerEntry } from "@quiver/threads";

/** What the worker thread is given (its `workerData`). */
export interface WorkerTask {
  input: BenchmarkInput;
}

export type WorkerMessage =
  | { type: "progress"; fraction: number }
  | { type: "done"; results: StrategyMeasurement[] }
  | { type: "failed"; message: string };

const ENTRY = workerEntry("./benchmark-worker.ts", import.meta.url);

/**
 * Runs the engine's benchmark in a worker thread, so that building indexes for minutes does not
 * block the coordinator's requests. The vectors are moved to the worker, not copied: the caller
 * must not use `input`'s arrays afterwards.
 */
export function runBenchmarkInWorker(
  input: BenchmarkInput,
  onProgress: (fraction: number) => void,
  signal?: AbortSignal,
): Promise<StrategyMeasurement[]> {
  return new Promise((resolve, reject) => {
    const task: WorkerTask = { input };
    const transfer = [input.base.buffer, input.queries.buffer] as ArrayBuffer[];
    if (input.queryRows) transfer.push(input.queryRows.buffer as ArrayBuffer);
    const worker = startWorker(ENTRY, {
      workerData: task,
      transferList: [...new Set(transfer)],
    });
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
      void worker.terminate();
    };
    worker.on("message", (message: WorkerMessage) => {
      if (message.type === "progress") onProgress(message.fraction);
      else if (message.type === "done") settle(() => resolve(message.results));
      else settle(() => reject(new Error(message.message)));
    });
    worker.on("error", (error) => settle(() => reject(error)));
    signal?.addEventListener("abort", () =>
      settle(() => reject(new Error("benchmark stopped: the coordinator is closing"))),
    );
    worker.on("exit", (code) =>
      settle(() => reject(new Error(`benchmark worker exited with code ${code}`))),
    );
  });
}
