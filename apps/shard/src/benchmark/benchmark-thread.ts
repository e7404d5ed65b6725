// The benchmark thread of a shard node: measures strategies on a library's sample (the engine's
// runner: builds, exact ground truth, searches) for minutes, off the partitions' threads, at a
// lower CPU priority than theirs, so that the node's searches and applying come first; above the
// trainings' (19): a benchmark is a caller's request, whose latencies a starved thread would spoil.
import { parentPort } from "node:worker_threads";
import { type BenchmarkInput, runBenchmark, type StrategyMeasurement } from "@quiver/engine";
import { lowerThreadPriority, serveJobs } from "@quiver/threads";

lowerThreadPriority(10);
if (!parentPort) throw new Error("benchmark-thread.ts runs as a worker thread");
serveJobs<BenchmarkInput, StrategyMeasurement[]>(parentPort, (input, progress) => {
  let last = -1;
  const output = runBenchmark(input, (fraction) => {
    // a report per half percent is enough for a progress bar
    if (fraction - last >= 0.005 || fraction === 1) {
      last = fraction;
      progress(fraction);
    }
  });
  return { output };
});
