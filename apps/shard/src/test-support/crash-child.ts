// Child process of the crash test: restores a partition from its store, reports what it holds,
// then applies the rest of the log (snapshotting often) until done or killed.
import { join } from "node:path";
import { LmdbLog } from "@quiver/log";
import { PartitionStore } from "@quiver/store";
import { PartitionApplier } from "../partition/partition-applier.js";
import { summarize } from "./workload.js";

const [dir] = process.argv.slice(2);
const log = LmdbLog.open({ path: join(dir, "log") });
const store = PartitionStore.open({ path: join(dir, "store") });
const applier = new PartitionApplier({ partition: 0, store, log, snapshotEveryEvents: 4000 });
applier.restore();
process.stdout.write(`restored ${JSON.stringify(summarize(store, applier, 0))}\n`);
await applier.catchUp();
process.stdout.write(`done ${JSON.stringify(summarize(store, applier, 0))}\n`);
await store.close();
await log.close();
