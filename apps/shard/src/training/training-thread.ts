// The training thread of a shard node: trains libraries' quantizers one after another, off the
// serving threads, at the lowest CPU priority: a training takes a core for seconds to minutes,
// and the threads that answer searches come first.
import { setPriority } from "node:os";
import { parentPort } from "node:worker_threads";
import { serveJobs } from "@quiver/threads";
import { trainedParameters, type TrainingInput } from "./train-quantizer.js";

setPriority(19); // this thread only (Linux: a thread's own nice value)
if (!parentPort) throw new Error("training-thread.ts runs as a worker thread");
serveJobs<TrainingInput, Uint8Array>(parentPort, (input) => {
  const parameters = trainedParameters(input).slice();
  return { output: parameters, transfer: [parameters.buffer as ArrayBuffer] };
});
