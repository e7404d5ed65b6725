// A thread that waits on a SearchGate it was given, then answers how long it waited.
import { parentPort, workerData } from "node:worker_threads";
import { SearchGate } from "../search-gate.js";

const { buffer, maxMs } = workerData as { buffer: SharedArrayBuffer; maxMs: number };
const gate = new SearchGate(buffer);
const started = performance.now();
parentPort?.postMessage("waiting");
// Atomics.waitAsync holds no handle open: the thread lives on a timer, as a partition thread
// lives on its message port
const alive = setInterval(() => {}, 1000);
await gate.quiet(maxMs);
clearInterval(alive);
parentPort?.postMessage(performance.now() - started);
