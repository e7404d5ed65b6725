import { describe, expect, it } from "vitest";
import { Registry } from "prom-client";
import { registerLibraryMetrics } from "./library-metrics.js";
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
  const bytes = (total: number) => ({
    codes: total - 70,
    graph: 50,
    float32_cache: 0,
    metadata: 7,
    quantizer: 3,
    other: 10,
    total,
  });

  it("read the node's rows at each scrape, summed over its partitions, and drop rows that are gone", async () => {
    const registry = new Registry();
    let rows = [
      { libraryId: "lib_a", partition: 0, vectors: 12, bytes: bytes(170) },
      { libraryId: "lib_a", partition: 1, vectors: 8, bytes: bytes(270) },
      { libraryId: "lib_b", partition: 1, vectors: 1, bytes: bytes(100) },
    ];
    registerLibraryMetrics(registry, async () => rows);
    let text = await registry.metrics();
    expect(text).toContain('quiver_library_memory_bytes{library_id="lib_a",component="total"} 440');
    expect(text).toContain('quiver_library_memory_bytes{library_id="lib_a",component="codes"} 300');
    expect(text).toContain('quiver_library_vectors{library_id="lib_a",partition="1"} 8');
    expect(text).toContain("quiver_libraries 2");
    rows = rows.slice(0, 1);
    text = await registry.metrics();
    expect(text).not.toContain('partition="1"');
    expect(text).not.toContain("lib_b");
    expect(text).toContain('quiver_library_vectors{library_id="lib_a",partition="0"} 12');
  });

  it("export at most maxLibraries libraries, the largest, and sum the rest as _other", async () => {
    const registry = new Registry();
    const rows = Array.from({ length: 1000 }, (_, i) => ({
      libraryId: `lib_${String(i).padStart(4, "0")}`,
      partition: i % 4,
      vectors: 1,
      bytes: bytes(1000 + i),
    }));
    registerLibraryMetrics(registry, () => rows, 10);
    const text = await registry.metrics();
    const totals = text.match(/^quiver_library_memory_bytes\{[^}]*component="total"\}.*$/gm) ?? [];
    expect(totals).toHaveLength(11);
    expect(text).toContain(
      'quiver_library_memory_bytes{library_id="lib_0999",component="total"} 1999',
    );
    expect(text).not.toContain('library_id="lib_0989"');
    const rest = rows.slice(0, 990).reduce((a, r) => a + r.bytes.total, 0);
    expect(text).toContain(
      `quiver_library_memory_bytes{library_id="_other",component="total"} ${rest}`,
    );
    expect(text).toContain("quiver_libraries 1000");
    // series grow with the cap, not with the libraries
    const series = text.split("\n").filter((l) => l.startsWith("quiver_library_")).length;
    expect(series).toBeLessThanOrEqual(11 * 7 + 11 * 4);
  });

  it("process metrics include the resident set size", async () => {
    const registry = collectProcessMetrics();
    expect(await registry.metrics()).toMatch(/^process_resident_memory_bytes \d+/m);
  });
});
