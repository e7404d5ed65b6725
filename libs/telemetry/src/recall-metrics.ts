import { Gauge, type Registry } from "prom-client";
import { DEFAULT_MAX_LIBRARY_SERIES } from "./library-metrics.js";

/** A library's latest recall probe measurement, as the gauges export it. */
export interface RecallReading {
  libraryId: string;
  recallAt10: number;
  recallAt100: number;
  sampleSize: number;
  measuredAtMs: number;
}

/**
 * The recall probe's gauges, read from `latest` at every scrape (so a deleted library's series
 * disappear and every coordinator exports what the catalog holds, whoever measured it). At most
 * `maxLibraries` libraries get series: those with the lowest recall@10, the ones to look at.
 */
export function registerRecallMetrics(
  registry: Registry,
  readings: () => RecallReading[],
  maxLibraries = DEFAULT_MAX_LIBRARY_SERIES,
): void {
  const latest = () =>
    readings()
      .sort((a, b) => a.recallAt10 - b.recallAt10 || (a.libraryId < b.libraryId ? -1 : 1))
      .slice(0, maxLibraries);
  new Gauge({
    name: "quiver_library_recall",
    help: "Recall@k of the library's live search against exact search, latest probe measurement",
    labelNames: ["library_id", "k"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const r of latest()) {
        this.set({ library_id: r.libraryId, k: "10" }, r.recallAt10);
        this.set({ library_id: r.libraryId, k: "100" }, r.recallAt100);
      }
    },
  });
  new Gauge({
    name: "quiver_library_recall_sample_size",
    help: "Queries the latest recall measurement of the library averaged over",
    labelNames: ["library_id"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const r of latest()) this.set({ library_id: r.libraryId }, r.sampleSize);
    },
  });
  new Gauge({
    name: "quiver_library_recall_measured_timestamp_seconds",
    help: "When the library's recall was last measured (Unix time)",
    labelNames: ["library_id"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const r of latest()) this.set({ library_id: r.libraryId }, r.measuredAtMs / 1000);
    },
  });
}
