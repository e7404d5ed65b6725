// The scan thread of a partition thread: exact scans too long to run between searches (the
// recall probe's batches of 100 queries over a whole partition, `exact: true` over a large one)
// read the originals from the shard's LMDB environment here, below the searches' CPU priority.
import { parentPort } from "node:worker_threads";
import { KernelWorkspace } from "@quiver/engine";
import { PartitionStore } from "@quiver/store";
import { lowerThreadPriority, serveJobs } from "@quiver/threads";
import { type ScanInput, type ScanOutput, scanOriginals } from "./exact-scans.js";

lowerThreadPriority(10);
if (!parentPort) throw new Error("scan-thread.ts runs as a worker thread");
const workspace = new KernelWorkspace();
// one partition thread's scans, so one environment: opened at the first
let store: PartitionStore | undefined;
serveJobs<ScanInput, ScanOutput>(parentPort, (input) => {
  store ??= PartitionStore.open({ path: input.storePath });
  // the partition thread's view was committed before it asked: read the latest state
  store.refreshReads();
  const output = scanOriginals(store, input, workspace);
  return {
    output,
    transfer: [output.ids.buffer as ArrayBuffer, output.distances.buffer as ArrayBuffer],
  };
});
