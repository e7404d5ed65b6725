// Preloaded into the shard process by bench/memory.ts (NODE_OPTIONS="--expose-gc --import ..."):
// on SIGUSR2, two full garbage collections (garbage is not memory the index holds), then
// process.memoryUsage() written to $QUIVER_MEMORY_PROBE_DIR/<pid>.json for the bench to read.
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.env.QUIVER_MEMORY_PROBE_DIR;
if (dir && typeof globalThis.gc === "function") {
  process.on("SIGUSR2", () => {
    globalThis.gc();
    globalThis.gc();
    writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify(process.memoryUsage()));
  });
}
