import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeKvConformance } from "../test-support/kv-conformance.js";
import { LmdbKv } from "./lmdb-kv.js";

describeKvConformance("LmdbKv", async () => {
  const path = mkdtempSync(join(tmpdir(), "quiver-lmdb-kv-"));
  const t = {
    kv: LmdbKv.open({ path }),
    // the embedded store lives in its process: a restart closes it and opens the same directory
    async restart() {
      await t.kv.close();
      t.kv = LmdbKv.open({ path });
    },
    async dispose() {
      await t.kv.close();
      rmSync(path, { recursive: true, force: true });
    },
  };
  return t;
});
