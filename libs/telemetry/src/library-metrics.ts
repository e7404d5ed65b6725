import { Gauge, type Registry } from "prom-client";

/** Components of a library's memory, as the statistics endpoint reports them (`total` sums them). */
export const LIBRARY_MEMORY_COMPONENTS = [
  "codes",
  "graph",
  "float32_cache",
  "metadata",
  "quantizer",
  "other",
  "total",
] as const;

export type LibraryMemoryComponent = (typeof LIBRARY_MEMORY_COMPONENTS)[number];

/** What a shard holds of one library in one partition: its vectors and bytes by component. */
export interface LibraryMemoryRow {
  libraryId: string;
  partition: number;
  vectors: number;
  bytes: Record<LibraryMemoryComponent, number>;
}

/** Libraries a node exports series for unless QUIVER_METRICS_MAX_LIBRARIES says otherwise. */
export const DEFAULT_MAX_LIBRARY_SERIES = 500;

/** The label of the series that sums every library beyond the cap. */
export const OTHER_LIBRARIES = "_other";

/** QUIVER_METRICS_MAX_LIBRARIES, or the default. */
export function maxLibrarySeries(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.QUIVER_METRICS_MAX_LIBRARIES;
  if (raw === undefined || raw === "") return DEFAULT_MAX_LIBRARY_SERIES;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    throw new Error("QUIVER_METRICS_MAX_LIBRARIES must be a whole number >= 0");
  }
  return n;
}

/**
 * A node's per-library gauges, read from its rows at each scrape, with a bounded number of
 * series whatever the number of libraries it holds: the `maxLibraries` libraries holding the
 * most bytes get their own (memory by component, summed over the node's partitions; vectors by
 * partition, for counting each partition once over replicas), every other library is summed
 * into library_id="_other", and quiver_libraries counts them all.
 */
export function registerLibraryMetrics(
  registry: Registry,
  rows: () => Promise<LibraryMemoryRow[]> | LibraryMemoryRow[],
  maxLibraries = DEFAULT_MAX_LIBRARY_SERIES,
): void {
  // one read of the rows per scrape: a scrape collects the gauges together, each asks while
  // the first read is still under way
  let pending: Promise<LibraryMemoryRow[]> | undefined;
  const read = () => {
    pending ??= Promise.resolve(rows()).finally(() => {
      pending = undefined;
    });
    return pending;
  };
  const ranked = async () => {
    const all = await read();
    const totals = new Map<string, number>();
    for (const r of all) totals.set(r.libraryId, (totals.get(r.libraryId) ?? 0) + r.bytes.total);
    const top = new Set(
      [...totals.entries()]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, maxLibraries)
        .map(([id]) => id),
    );
    return { all, top, libraries: totals.size };
  };
  new Gauge({
    name: "quiver_library_memory_bytes",
    help: `Bytes a library's indexes hold in RAM on this shard (its partitions here summed), by component (total sums the others); the ${maxLibraries} largest libraries by name, the rest summed as library_id="${OTHER_LIBRARIES}"`,
    labelNames: ["library_id", "component"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const { all, top } = await ranked();
      const sums = new Map<string, Record<LibraryMemoryComponent, number>>();
      for (const r of all) {
        const id = top.has(r.libraryId) ? r.libraryId : OTHER_LIBRARIES;
        let sum = sums.get(id);
        if (!sum) {
          sum = Object.fromEntries(LIBRARY_MEMORY_COMPONENTS.map((c) => [c, 0])) as Record<
            LibraryMemoryComponent,
            number
          >;
          sums.set(id, sum);
        }
        for (const c of LIBRARY_MEMORY_COMPONENTS) sum[c] += r.bytes[c];
      }
      for (const [id, sum] of sums) {
        for (const c of LIBRARY_MEMORY_COMPONENTS)
          this.set({ library_id: id, component: c }, sum[c]);
      }
    },
  });
  new Gauge({
    name: "quiver_library_vectors",
    help: `Vectors a library holds in a partition on this shard; the ${maxLibraries} largest libraries by name, the rest summed per partition as library_id="${OTHER_LIBRARIES}"`,
    labelNames: ["library_id", "partition"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const { all, top } = await ranked();
      for (const r of all) {
        const id = top.has(r.libraryId) ? r.libraryId : OTHER_LIBRARIES;
        this.inc({ library_id: id, partition: String(r.partition) }, r.vectors);
      }
    },
  });
  new Gauge({
    name: "quiver_libraries",
    help: "Libraries this shard holds (in any of its partitions)",
    registers: [registry],
    async collect() {
      this.set((await ranked()).libraries);
    },
  });
}
