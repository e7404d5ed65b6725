// Trains one quantizer off the shard's serving threads, at the lowest CPU priority: a training
// takes a core for seconds to minutes, and the threads that answer searches come first.
import { setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import { trainedParameters, type TrainingInput } from "./train-quantizer.js";

setPriority(19); // this thread only (Linux: a thread's own nice value)
const parameters = trainedParameters((workerData as { input: TrainingInput }).input).slice();
parentPort?.postMessage({ parameters }, [parameters.buffer as ArrayBuffer]);
