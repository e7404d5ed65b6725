import { type ExactHits, ExactScan, type KernelWorkspace, type Metric } from "@quiver/engine";
import type { PartitionStore } from "@quiver/store";
import { JobThread, workerEntry } from "@quiver/threads";
import { StoreOriginals } from "../partition/store-originals.js";

/** An exact scan of some of a library's stored originals (structured-cloneable). */
export interface ScanInput {
  storePath: string;
  partition: number;
  libraryId: string;
  dim: number;
  metric: Metric;
  k: number;
  queries: Float32Array;
  /** Internal ids to score (those gone when the scan reads them are skipped). */
  ids: Uint32Array;
}

/** Every query's hits, flat: query q's are at [q * k, q * k + counts[q]). */
export interface ScanOutput {
  ids: Uint32Array;
  distances: Float32Array;
  counts: Int32Array;
}

/** The scan itself, wherever it runs: the engine's ExactScan over the store's originals. */
export function scanOriginals(
  store: PartitionStore,
  input: Omit<ScanInput, "storePath">,
  workspace: KernelWorkspace,
): ScanOutput {
  const { dim, k, queries } = input;
  const queryCount = queries.length / dim;
  const scan = new ExactScan(queries, queryCount, { dim, metric: input.metric, k, workspace });
  try {
    const source = new StoreOriginals(store, input.partition, input.libraryId, dim);
    scan.scanSource(input.ids, input.ids.length, source);
    const hits = scan.results();
    const out: ScanOutput = {
      ids: new Uint32Array(queryCount * k),
      distances: new Float32Array(queryCount * k),
      counts: new Int32Array(queryCount),
    };
    hits.forEach((h, q) => {
      out.ids.set(h.ids, q * k);
      out.distances.set(h.distances, q * k);
      out.counts[q] = h.ids.length;
    });
    return out;
  } finally {
    scan.dispose();
  }
}

/**
 * Multiply-adds above which an exact scan runs in the scan thread rather than on the partition
 * thread (about 10 ms of the kernels): below it, a few slices between searches cost less than the
 * trip to another thread.
 */
export const SCAN_THREAD_WORK = 20_000_000;

/**
 * The exact scans of one partition thread's partitions that are too long for it, run one after
 * another in a thread of their own (started on the first, ended when idle): the searches on the
 * partition thread never wait for them, and the scans take a core only at a lower priority.
 */
export class ExactScans {
  private readonly thread = new JobThread<ScanInput, ScanOutput>(
    workerEntry("./scan-thread.ts", import.meta.url),
  );

  constructor(private readonly storePath: string) {}

  async scan(input: Omit<ScanInput, "storePath">): Promise<ExactHits[]> {
    const { ids, distances, counts } = await this.thread.run(
      { ...input, storePath: this.storePath },
      // the ids are the caller's own copy; the queries stay the caller's
      [input.ids.buffer as ArrayBuffer],
    );
    return Array.from(counts, (n, q) => ({
      ids: ids.subarray(q * input.k, q * input.k + n),
      distances: distances.subarray(q * input.k, q * input.k + n),
    }));
  }

  close(): void {
    this.thread.close();
  }
}
