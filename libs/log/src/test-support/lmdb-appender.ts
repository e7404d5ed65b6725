// Child process of the LMDB log's crash test: appends `count` events, several at a time, and
// prints "ack <msgId> <seq>" for each acknowledged one, until the parent kills it.
import { LmdbLog } from "../lmdb/lmdb-log.js";

const [path, partition, count, prefix] = process.argv.slice(2);
const log = LmdbLog.open({ path });
const n = Number(count);
let next = 0;
async function worker(): Promise<void> {
  while (next < n) {
    const i = next++;
    const msgId = `${prefix}-${i}`;
    const r = await log.append(Number(partition), new TextEncoder().encode(`payload ${i}`), msgId);
    process.stdout.write(`ack ${msgId} ${r.seq}\n`);
  }
}
await Promise.all([worker(), worker(), worker(), worker()]);
process.stdout.write("done\n");
await log.close();
