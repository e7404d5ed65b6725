import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { WORKER_BOOT } from "@quiver/threads";
import type { TrainingInput } from "./train-quantizer.js";

const WORKER_ENTRY = fileURLToPath(new URL("./training-thread.ts", import.meta.url));

/** Trains in a thread of its own; the sample's buffer moves to it (the caller's copy empties). */
export function trainInThread(input: TrainingInput): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    let worker: Worker;
    try {
      worker = new Worker(WORKER_BOOT, {
        workerData: { entry: WORKER_ENTRY, input },
        transferList: [input.values.buffer as ArrayBuffer],
      });
    } catch (error) {
      reject(error);
      return;
    }
    let done = false;
    worker.once("message", (message: { parameters: Uint8Array }) => {
      done = true;
      resolve(message.parameters);
      void worker.terminate();
    });
    worker.once("error", (error) => {
      done = true;
      reject(error);
    });
    worker.once("exit", (code) => {
      if (!done)
        reject(new Error(`the training thread exited with code ${code} before it finished`));
    });
  });
}
