// A worker thread that reads an LmdbLog another thread writes: subscribes to a partition and
// posts the sequence of each entry it sees (for lmdb-log.test.ts).
import { parentPort, workerData } from "node:worker_threads";
import { LmdbLog } from "../lmdb/lmdb-log.js";

const { path, partition, count } = workerData as { path: string; partition: number; count: number };
const port = parentPort;
if (!port) throw new Error("runs as a worker thread");
const log = LmdbLog.open({ path, readOnly: true });
let refused = "";
try {
  await log.append(partition, new Uint8Array(1), "from-a-reader");
} catch (error) {
  refused = (error as Error).message;
}
port.postMessage({ type: "ready", refused });
const seqs: number[] = [];
for await (const entry of log.subscribe(partition, 1)) {
  seqs.push(entry.seq);
  if (seqs.length === count) break;
}
port.postMessage({ type: "done", seqs });
await log.close();
