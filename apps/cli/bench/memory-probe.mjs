// Preloaded into a Quiver process by the memory benchmarks (bench/memory.ts, bench/tenants.ts:
// NODE_OPTIONS="--expose-gc --import ..."); it runs in the main thread and in every worker thread.
// On SIGUSR2 (the main thread's), every thread runs two full garbage collections (garbage is not
// memory a library holds) and reports its memoryUsage(); the main thread writes its own figures
// and the threads' to $QUIVER_MEMORY_PROBE_DIR/<pid>.json for the bench to read. With
// QUIVER_MEMORY_PROBE_SNAPSHOTS=1 each thread also writes a heap snapshot there (diagnosis).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { clearTimeout, setTimeout } from "node:timers";
import { writeHeapSnapshot } from "node:v8";
import { BroadcastChannel, isMainThread, threadId } from "node:worker_threads";

const dir = process.env.QUIVER_MEMORY_PROBE_DIR;
/**
 * How long the main thread waits for the threads' answers after the last one came: a thread
 * answers between two of its tasks, and its two full GCs over gigabytes of ArrayBuffers take
 * seconds on a loaded machine (1 s missed every worker of a 10,000-library node).
 */
const QUIET_MS = 10_000;

function collect(round) {
  globalThis.gc();
  globalThis.gc();
  if (process.env.QUIVER_MEMORY_PROBE_SNAPSHOTS === "1")
    writeHeapSnapshot(join(dir, `${process.pid}-${round}-${threadId}.heapsnapshot`));
  const { heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
  return { threadId, heapUsed, heapTotal, external, arrayBuffers };
}

if (dir && typeof globalThis.gc === "function") {
  const channel = new BroadcastChannel("quiver-memory-probe");
  channel.unref();
  if (isMainThread) {
    let round = 0;
    const threads = [];
    let timer;
    channel.onmessage = ({ data }) => {
      if (data.round !== round || !data.figures) return;
      threads.push(data.figures);
      clearTimeout(timer);
      timer = setTimeout(write, QUIET_MS);
    };
    const write = () =>
      writeFileSync(
        join(dir, `${process.pid}.json`),
        JSON.stringify({ ...process.memoryUsage(), threads: [...threads] }),
      );
    process.on("SIGUSR2", () => {
      round++;
      threads.length = 0;
      threads.push(collect(round));
      channel.postMessage({ round });
      clearTimeout(timer);
      timer = setTimeout(write, QUIET_MS);
    });
  } else {
    channel.onmessage = ({ data }) => {
      if (data.figures) return;
      channel.postMessage({ round: data.round, figures: collect(data.round) });
    };
  }
}
