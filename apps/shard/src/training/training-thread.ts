// The training thread of a shard node: trains libraries' quantizers one after another, off the
// serving threads, at the lowest CPU priority: a training takes a core for seconds to minutes,
// and the threads that answer searches come first.
import { parentPort } from "node:worker_threads";
import { lowerThreadPriority, serveJobs } from "@quiver/threads";
import { trainedParameters, type TrainingInput } from "./train-quantizer.js";

lowerThreadPriority(19);
if (!parentPort) throw new Error("training-thread.ts runs as a worker thread");
serveJobs<TrainingInput, Uint8Array>(parentPort, (input) => {
  const parameters = trainedParameters(input).slice();
  return { output: parameters, transfer: [parameters.buffer as ArrayBuffer] };
});
