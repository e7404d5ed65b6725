// What an embedded Quiver node holds at one moment, for bench:tenants: resident memory as it
// stands and after every thread's full GC plus malloc_trim, the JS heaps by thread, the series
// of its /metrics, what its libraries' statistics count, and its files.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  type HeapUsage,
  type MemoryProbe,
  rss,
  type Rss,
  settledRss,
  trim,
} from "../process-memory.js";

export interface NodeFigures {
  /** Threads of the process (/proc), and those of them that answered the probe (JS threads). */
  threads: number;
  jsThreads: number;
  /** RssAnon before any collection (what `ps` shows at that moment). */
  rawRss: Rss;
  /** After two full GCs in every thread and malloc_trim: what something holds. */
  rss: Rss;
  trimmed: boolean;
  heap: HeapUsage;
  /** Sample lines of /metrics, and those of the per-library families (quiver_library_*). */
  series: number;
  librarySeries: number;
  /** Σ quiver_library_memory_bytes{component="total"}: every library's memory_usage total. */
  metricsLibraryBytes: number;
  /** The workers' kernel (Wasm) memory by kind: committed, touched, regions, scratch, free. */
  kernel: Record<string, number>;
  /** Bytes allocated on disk (blocks) under the data dir, by top-level entry (shard, log, ...). */
  diskBytes: Record<string, number>;
}

/** Bytes allocated to the files under `path` (st_blocks, so sparse files count what they use). */
function allocatedBytes(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.blocks * 512;
  let sum = 0;
  for (const entry of readdirSync(path)) sum += allocatedBytes(join(path, entry));
  return sum;
}

function threadCount(pid: number): number {
  return Number(/^Threads:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
}

/**
 * Waits until the process's thread count has not changed for QUIET_S (at most MAX_QUIET_S): the
 * threads a node keeps for the next job (rebuilds, trainings) end 30 s after their last job, and
 * each holds a JS heap of its own that belongs to no library.
 */
const QUIET_S = 35;
const MAX_QUIET_S = 180;
async function quiet(pid: number): Promise<void> {
  let count = threadCount(pid);
  let since = Date.now();
  const started = Date.now();
  while (Date.now() - since < QUIET_S * 1000 && Date.now() - started < MAX_QUIET_S * 1000) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = threadCount(pid);
    if (now !== count) {
      count = now;
      since = Date.now();
    }
  }
}

export async function metricsFigures(url: string) {
  const text = await (await fetch(`${url}/metrics`)).text();
  let series = 0;
  let librarySeries = 0;
  let libraryBytes = 0;
  const kernel: Record<string, number> = {};
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    series++;
    if (line.startsWith("quiver_library_")) librarySeries++;
    const m = /^quiver_library_memory_bytes\{[^}]*component="total"[^}]*\} (\S+)$/.exec(line);
    if (m) libraryBytes += Number(m[1]);
    const k = /^quiver_kernel_memory_bytes\{[^}]*kind="(\w+)"[^}]*\} (\S+)$/.exec(line);
    if (k) kernel[k[1]] = Number(k[2]);
  }
  return { series, librarySeries, libraryBytes, kernel };
}

/** The node's figures now (the process `pid` serving `url`, its data in `dataDir`). */
export async function nodeFigures(
  pid: number,
  url: string,
  dataDir: string,
  probe: MemoryProbe,
): Promise<NodeFigures> {
  await quiet(pid);
  const rawRss = rss(pid);
  const heap = await probe.collect(pid);
  const trimmed = trim(pid);
  const settled = await settledRss(pid, 15);
  const metrics = await metricsFigures(url);
  const diskBytes: Record<string, number> = {};
  for (const entry of readdirSync(dataDir)) diskBytes[entry] = allocatedBytes(join(dataDir, entry));
  return {
    threads: threadCount(pid),
    jsThreads: heap.threads.length,
    rawRss,
    rss: settled,
    trimmed,
    heap,
    series: metrics.series,
    librarySeries: metrics.librarySeries,
    metricsLibraryBytes: metrics.libraryBytes,
    kernel: metrics.kernel,
    diskBytes,
  };
}

/** b - a per library, for each figure that grows with the libraries. */
export function perLibrary(a: NodeFigures, b: NodeFigures, libraries: number) {
  const per = (x: number) => x / libraries;
  const workers = (h: HeapUsage) => h.threads.slice(1).reduce((s, t) => s + t.heapUsed, 0);
  const workersExternal = (h: HeapUsage) => h.threads.slice(1).reduce((s, t) => s + t.external, 0);
  const disk = Object.fromEntries(
    Object.keys(b.diskBytes).map((k) => [k, per(b.diskBytes[k] - (a.diskBytes[k] ?? 0))]),
  );
  return {
    rss_anon_bytes: per(b.rss.rssAnon - a.rss.rssAnon),
    raw_rss_anon_bytes: per(b.rawRss.rssAnon - a.rawRss.rssAnon),
    main_heap_used_bytes: per(b.heap.heapUsed - a.heap.heapUsed),
    main_external_bytes: per(b.heap.external - a.heap.external),
    worker_heaps_used_bytes: per(workers(b.heap) - workers(a.heap)),
    worker_external_bytes: per(workersExternal(b.heap) - workersExternal(a.heap)),
    metrics_memory_usage_bytes: per(b.metricsLibraryBytes - a.metricsLibraryBytes),
    kernel_touched_bytes: per((b.kernel.touched ?? 0) - (a.kernel.touched ?? 0)),
    kernel_regions_bytes: per((b.kernel.regions ?? 0) - (a.kernel.regions ?? 0)),
    kernel_transient_bytes: per((b.kernel.transient ?? 0) - (a.kernel.transient ?? 0)),
    series: per(b.series - a.series),
    library_series: per(b.librarySeries - a.librarySeries),
    disk_bytes: disk,
  };
}
