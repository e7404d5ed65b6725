import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { isLogError, LogErrorCode } from "../errors.js";
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

describe("LmdbLog readers in other threads", () => {
  it("a reader in a worker thread sees every append of the writing thread, and cannot append", async () => {
    const path = mkdtempSync(join(tmpdir(), "quiver-lmdb-reader-"));
    const log = LmdbLog.open({ path });
    const here = dirname(fileURLToPath(import.meta.url));
    const reader = new Worker(join(here, "..", "test-support", "thread-boot.mjs"), {
      workerData: {
        entry: join(here, "..", "test-support", "lmdb-reader-thread.ts"),
        path,
        partition: 2,
        count: 400,
      },
    });
    type Message = { type: string; refused?: string; seqs?: number[] };
    const next = () =>
      new Promise<Message>((resolve, reject) => {
        reader.once("message", resolve);
        reader.once("error", reject);
      });
    const ready = await next();
    expect(ready.refused).toMatch(/only reads/);
    const done = next();
    const seqs: number[] = [];
    // appends from several callers at once, to another partition in between
    await Promise.all(
      [0, 1, 2, 3].map(async (k) => {
        for (let i = 0; i < 100; i++) {
          seqs.push((await log.append(2, new Uint8Array([i]), `r${k}-${i}`)).seq);
          if (i % 10 === 0) await log.append(5, new Uint8Array([i]), `o${k}-${i}`);
        }
      }),
    );
    const seen = (await done).seqs ?? [];
    expect(seen).toEqual(seqs.sort((a, b) => a - b));
    await reader.terminate();
    await log.close();
    rmSync(path, { recursive: true, force: true });
  });

  it("refuses appends on a read-only instance with LOG_READ_ONLY", async () => {
    const path = mkdtempSync(join(tmpdir(), "quiver-lmdb-ro-"));
    const reader = LmdbLog.open({ path, readOnly: true });
    const error = await reader.append(0, new Uint8Array(1), "x").catch((e: unknown) => e);
    expect(isLogError(error, LogErrorCode.ReadOnly)).toBe(true);
    await reader.close();
    rmSync(path, { recursive: true, force: true });
  });
});
