import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeEvent, encodeEvent } from "@quiver/events";
import { type LogEntry, LmdbLog } from "@quiver/log";
import { afterAll, describe, expect, it } from "vitest";
import { type PartitionSummary, ReferenceState, workload } from "../test-support/workload.js";

const child = join(dirname(fileURLToPath(import.meta.url)), "..", "test-support", "crash-child.ts");
const VECTOR_EVENTS = 100_000;
const MIN_KILLS = 20;

interface Run {
  restored: PartitionSummary;
  done?: PartitionSummary;
  killed: boolean;
}

/** Starts the applier process; SIGKILLs it `killAfterMs` after it restored (unless it finished). */
function runChild(dir: string, killAfterMs: number | null): Promise<Run> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ["--import", "tsx", child, dir], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const run: Partial<Run> = { killed: false };
    let buffer = "";
    proc.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        const [word, json] = [line.slice(0, line.indexOf(" ")), line.slice(line.indexOf(" ") + 1)];
        if (word === "restored") {
          run.restored = JSON.parse(json);
          if (killAfterMs !== null) {
            setTimeout(() => {
              if (proc.exitCode === null && !run.done) {
                run.killed = true;
                proc.kill("SIGKILL");
              }
            }, killAfterMs);
          }
        }
        if (word === "done") run.done = JSON.parse(json);
      }
    });
    proc.on("error", reject);
    proc.on("exit", () =>
      run.restored ? resolve(run as Run) : reject(new Error("the applier died before it restored")),
    );
  });
}

describe("crash recovery", () => {
  const dir = mkdtempSync(join(tmpdir(), "quiver-crash-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`applies ${VECTOR_EVENTS} vector events exactly once across >= ${MIN_KILLS} SIGKILLs`, async () => {
    // the log: a library, then the vector events, appended as a coordinator would
    const log = LmdbLog.open({ path: join(dir, "log") });
    const events = [...workload(VECTOR_EVENTS, 20_000, 7)];
    let next = 0;
    const appendAll = async () => {
      while (next < events.length) {
        const i = next++;
        await log.append(0, encodeEvent(events[i]), `e${i}`);
      }
    };
    await Promise.all(Array.from({ length: 256 }, appendAll));
    // a read answers a few MiB at most: read on from the last entry
    const entries: LogEntry[] = [];
    for (let page = await log.read(0, 1, events.length + 1); page.length > 0;) {
      entries.push(...page);
      page = await log.read(0, page[page.length - 1].seq + 1, events.length + 1);
    }
    const lastSeq = entries[entries.length - 1].seq;
    await log.close();

    // the reference: the state after each prefix of the log
    const reference = new ReferenceState();
    let referenceAt = 0;
    const referenceDigestAt = (seq: number) => {
      while (referenceAt < entries.length && entries[referenceAt].seq <= seq) {
        reference.apply(decodeEvent(entries[referenceAt].data));
        referenceAt++;
      }
      return reference.digest();
    };

    let kills = 0;
    let previous = 0;
    const seen: number[] = [];
    for (let attempt = 0; kills < MIN_KILLS && attempt < 200; attempt++) {
      // a few kills right after start, the rest spread over the ~30 s the whole log takes
      const run = await runChild(
        dir,
        attempt < 3 ? 30 + Math.floor(Math.random() * 120) : 100 + Math.floor(Math.random() * 2400),
      );
      const state = run.restored;
      seen.push(state.appliedSeq);
      expect(state.appliedSeq).toBeGreaterThanOrEqual(previous);
      expect(state.digest).toBe(referenceDigestAt(state.appliedSeq));
      expect(state.indexMatchesStore).toBe(true);
      previous = state.appliedSeq;
      if (run.killed) kills++;
      if (run.done) break;
    }
    expect(kills).toBeGreaterThanOrEqual(MIN_KILLS);
    console.info(
      `crash test: ${kills} SIGKILLs; restarts found applied seqs ${seen.join(", ")} of ${lastSeq}`,
    );

    const final = await runChild(dir, null);
    expect(final.done?.appliedSeq).toBe(lastSeq);
    expect(final.done?.digest).toBe(referenceDigestAt(lastSeq));
    expect(final.done?.indexMatchesStore).toBe(true);
    // the kills landed at different points of the run, not all at the start or the end
    expect(new Set(seen).size).toBeGreaterThanOrEqual(MIN_KILLS / 2);
    expect(seen.some((s) => s > 0 && s < lastSeq)).toBe(true);
  }, 600_000);
});
