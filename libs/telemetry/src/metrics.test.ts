import { describe, expect, it } from "vitest";
import { createShardMetrics } from "./metrics.js";

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
