// The benchmark's worker thread: runs the engine's runner off the coordinator's event loop and
// posts its progress and results to the parent (run-in-worker.ts).
import { runBenchmark } from "@quiver/engine";
import { parentPort, workerData } from "node:worker_threads";
import type { WorkerMessage, WorkerTask } from "./run-in-worker.js";

const { input } = workerData as WorkerTask;
const post = (message: WorkerMessage) => parentPort!.postMessage(message);
let last = -1;
try {
  const results = runBenchmark(input, (fraction) => {
    // a message per percent is enough for a progress bar
    if (fraction - last >= 0.005 || fraction === 1) {
      last = fraction;
      post({ type: "progress", fraction });
    }
  });
  post({ type: "done", results });
} catch (error) {
  post({ type: "failed", message: error instanceof Error ? error.message : String(error) });
}
