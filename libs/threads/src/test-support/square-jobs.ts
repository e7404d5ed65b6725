// A job thread for job-thread.test.ts: squares numbers, fails on negatives, dies on NaN,
// reports progress for 100 and more.
import { parentPort } from "node:worker_threads";
import { serveJobs } from "../job-thread.js";

if (!parentPort) throw new Error("a worker thread");
serveJobs<number, number>(parentPort, (n, progress) => {
  if (Number.isNaN(n)) process.exit(3);
  if (n >= 100) for (const step of [0.5, 1]) progress(step);
  if (n < 0) throw new Error(`negative: ${n}`);
  return { output: n * n };
});
