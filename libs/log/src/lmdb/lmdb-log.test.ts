import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describeLogConformance } from "../test-support/conformance.js";
import { LmdbLog } from "./lmdb-log.js";

const appender = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "test-support",
  "lmdb-appender.ts",
);

describeLogConformance("LmdbLog", async () => {
  const path = mkdtempSync(join(tmpdir(), "quiver-lmdb-log-"));
  const t = {
    log: LmdbLog.open({ path }) as LmdbLog,
    // The embedded log lives in its owner's process: the crash kills a process appending to it.
    async appendThroughCrash(
      partition: number,
      count: number,
      killAfterAcks: number,
      prefix: string,
    ) {
      await t.log.close();
      const acked = new Map<string, number>();
      await new Promise<void>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          ["--import", "tsx", appender, path, String(partition), String(count), prefix],
          {
            stdio: ["ignore", "pipe", "inherit"],
          },
        );
        let buffer = "";
        child.stdout.on("data", (chunk: Buffer) => {
          buffer += chunk.toString();
          const lines = buffer.split("\n");
          buffer = lines.pop() ?? "";
          for (const line of lines) {
            const [word, msgId, seq] = line.split(" ");
            if (word === "ack") acked.set(msgId, Number(seq));
          }
          if (acked.size >= killAfterAcks && child.exitCode === null) child.kill("SIGKILL");
        });
        child.on("error", reject);
        child.on("exit", (_code, signal) =>
          signal === "SIGKILL"
            ? resolve()
            : reject(new Error("the appender finished before it was killed")),
        );
      });
      t.log = LmdbLog.open({ path });
      return acked;
    },
    async dispose() {
      await t.log.close();
      rmSync(path, { recursive: true, force: true });
    },
  };
  return t;
});
