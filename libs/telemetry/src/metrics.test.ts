import { describe, expect, it } from "vitest";
import { collectProcessMetrics, createShardMetrics } from "./metrics.js";

describe("shard metrics", () => {
  it("exports the dead-letter counter in the Prometheus text format", async () => {
    const m = createShardMetrics();
    m.deadLettered.inc({ partition: "3", reason: "MALFORMED_EVENT" });
    m.deadLettered.inc({ partition: "3", reason: "MALFORMED_EVENT" });
    m.appliedSeq.set({ partition: "3" }, 42);
    const text = await m.registry.metrics();
    expect(text).toContain(
      'quiver_events_dead_lettered_total{partition="3",reason="MALFORMED_EVENT"} 2',
    );
    expect(text).toContain('quiver_partition_applied_seq{partition="3"} 42');
    // separate registries do not share values
    expect(await createShardMetrics().registry.metrics()).not.toContain("MALFORMED_EVENT");
  });
});

describe("library memory gauges", () => {
  it("read the node's rows at each scrape and drop rows that are gone", async () => {
    const m = createShardMetrics();
    const bytes = {
      codes: 100,
      graph: 50,
      float32_cache: 0,
      metadata: 7,
      quantizer: 3,
      other: 10,
      total: 170,
    };
    let rows = [
      { libraryId: "lib_a", partition: 0, vectors: 12, bytes },
      { libraryId: "lib_a", partition: 1, vectors: 8, bytes: { ...bytes, codes: 200, total: 270 } },
    ];
    m.observeLibraries(() => rows);
    let text = await m.registry.metrics();
    expect(text).toContain(
      'quiver_library_memory_bytes{library_id="lib_a",partition="0",component="codes"} 100',
    );
    expect(text).toContain(
      'quiver_library_memory_bytes{library_id="lib_a",partition="1",component="total"} 270',
    );
    expect(text).toContain('quiver_library_vectors{library_id="lib_a",partition="1"} 8');
    rows = rows.slice(0, 1);
    text = await m.registry.metrics();
    expect(text).not.toContain('partition="1"');
    expect(text).toContain('quiver_library_vectors{library_id="lib_a",partition="0"} 12');
  });

  it("process metrics include the resident set size", async () => {
    const registry = collectProcessMetrics();
    expect(await registry.metrics()).toMatch(/^process_resident_memory_bytes \d+/m);
  });
});
