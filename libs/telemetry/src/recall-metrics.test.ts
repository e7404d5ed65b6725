import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { type RecallReading, registerRecallMetrics } from "./recall-metrics.js";

describe("recall metrics", () => {
  it("exports the latest readings at each scrape, and drops libraries no longer listed", async () => {
    const registry = new Registry();
    let readings: RecallReading[] = [
      {
        libraryId: "lib_a",
        recallAt10: 0.93,
        recallAt100: 0.88,
        sampleSize: 200,
        measuredAtMs: 1_700_000_000_500,
      },
    ];
    registerRecallMetrics(registry, () => readings);
    const text = await registry.metrics();
    expect(text).toContain('quiver_library_recall{library_id="lib_a",k="10"} 0.93');
    expect(text).toContain('quiver_library_recall{library_id="lib_a",k="100"} 0.88');
    expect(text).toContain('quiver_library_recall_sample_size{library_id="lib_a"} 200');
    expect(text).toContain(
      'quiver_library_recall_measured_timestamp_seconds{library_id="lib_a"} 1700000000.5',
    );
    readings = [{ ...readings[0], libraryId: "lib_b", recallAt10: 0.5 }];
    const next = await registry.metrics();
    expect(next).not.toContain("lib_a");
    expect(next).toContain('quiver_library_recall{library_id="lib_b",k="10"} 0.5');
  });
});
