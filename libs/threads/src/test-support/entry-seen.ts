// Answers which module workerEntry names for a worker beside this one, seen from a worker thread.
import { parentPort } from "node:worker_threads";
import { workerEntry } from "../worker-url.js";

parentPort!.postMessage(workerEntry("./square-jobs.ts", import.meta.url));
