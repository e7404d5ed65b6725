// What a benchmarked Quiver process holds in memory, measured from outside: /proc, the memory
// probe preloaded into it (memory-probe.mjs: full GCs in every thread) and glibc's malloc_trim.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Rss {
  vmRss: number;
  rssAnon: number;
  rssFile: number;
}

/** Resident memory of a process, from /proc/<pid>/status (kB there, bytes here). */
export function rss(pid: number): Rss {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status);
    if (!m) throw new Error(`no ${name} in /proc/${pid}/status`);
    return Number(m[1]) * 1024;
  };
  return { vmRss: field("VmRSS"), rssAnon: field("RssAnon"), rssFile: field("RssFile") };
}

/**
 * Asks the process's glibc to give the free memory it keeps back to the OS (`malloc_trim(0)`,
 * called through gdb). Node's I/O frees many small buffers among long-lived allocations, and
 * glibc keeps the holes resident: memory nothing holds, reused by the next allocations, which
 * would otherwise count as growth. False when gdb is missing or may not attach.
 */
export function trim(pid: number): boolean {
  const r = spawnSync("gdb", ["-p", String(pid), "-batch", "-ex", "call (int)malloc_trim(0)"], {
    encoding: "utf8",
    timeout: 60_000,
  });
  return r.status === 0 && /\$1 = [01]/.test(r.stdout);
}

/**
 * RSS once it has stopped moving: sampled every second until two samples 5 s apart differ by
 * less than 0.5% (V8 shrinks its heap some seconds after the allocation stops), or `maxS` passed.
 */
export async function settledRss(pid: number, maxS: number): Promise<Rss> {
  const samples: Rss[] = [];
  for (let s = 0; s < maxS; s++) {
    samples.push(rss(pid));
    const n = samples.length;
    if (n > 5) {
      const a = samples[n - 6].rssAnon;
      const b = samples[n - 1].rssAnon;
      if (Math.abs(a - b) / b < 0.005) break;
    }
    await sleep(1000);
  }
  return samples[samples.length - 1];
}

/** One thread's JS heap after its full GCs. */
export interface ThreadHeap {
  threadId: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

/** The main thread's memoryUsage() and every thread's heap (the main thread's first). */
export type HeapUsage = NodeJS.MemoryUsage & { threads: ThreadHeap[] };

/**
 * The memory probe of the processes this one starts: the environment that preloads it
 * (NODE_OPTIONS: set it in the children's environment) and `collect(pid)`, which has every
 * thread of the process collect its garbage and answers their heaps.
 */
export class MemoryProbe {
  /** `dir`: where the probe writes (a new temporary folder, or that of a process started earlier). */
  constructor(readonly dir = mkdtempSync(join(tmpdir(), "quiver-memory-probe-"))) {}

  /** Node options that load the probe (after `base`, e.g. the caller's NODE_OPTIONS). */
  nodeOptions(base = ""): string {
    return [
      base,
      "--expose-gc",
      // as in bench:ann: a young generation that grew to 2 x 16 MB during a load shrinks tens of
      // seconds later, a swing of ~15 MB of RssAnon that belongs to no library; 1 MB keeps it small
      "--max-semi-space-size=1",
      `--import ${resolve(here, "memory-probe.mjs")}`,
    ].join(" ");
  }

  env(base = process.env.NODE_OPTIONS ?? ""): Record<string, string> {
    return { QUIVER_MEMORY_PROBE_DIR: this.dir, NODE_OPTIONS: this.nodeOptions(base) };
  }

  /** Collects the garbage of every thread of `pid` and answers their heap figures. */
  async collect(pid: number): Promise<HeapUsage> {
    const file = join(this.dir, `${pid}.json`);
    if (existsSync(file)) unlinkSync(file);
    process.kill(pid, "SIGUSR2");
    for (let i = 0; i < 1800 && !existsSync(file); i++) await sleep(100);
    await sleep(100); // the file is written in one call; let it land
    return JSON.parse(readFileSync(file, "utf8")) as HeapUsage;
  }
}
