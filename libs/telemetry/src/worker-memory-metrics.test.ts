import { AggregatorRegistry, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { type KernelMemoryFigures, registerWorkerMemoryMetrics } from "./worker-memory-metrics.js";

const figures = (scale: number): KernelMemoryFigures => ({
  memories: 1,
  transientMemories: scale,
  committedBytes: 1000 * scale,
  transientCommittedBytes: 200 * scale,
  touchedBytes: 800 * scale,
  regionBytes: 600 * scale,
  scratchBytes: 100 * scale,
  freeBytes: 300 * scale,
});

describe("worker memory gauges", () => {
  it("read the workspace at each scrape, and sum over the workers in the node's /metrics", async () => {
    let scale = 1;
    const workers = [new Registry(), new Registry()];
    registerWorkerMemoryMetrics(workers[0], () => figures(scale));
    registerWorkerMemoryMetrics(workers[1], () => figures(2));
    const node = async () =>
      AggregatorRegistry.aggregate(
        (await Promise.all(workers.map((r) => r.getMetricsAsJSON()))) as never,
      ).metrics();
    let text = await node();
    expect(text).toContain('quiver_kernel_memory_bytes{kind="committed"} 3000');
    expect(text).toContain('quiver_kernel_memory_bytes{kind="regions"} 1800');
    expect(text).toContain('quiver_kernel_memories{kind="all"} 2');
    expect(text).toContain('quiver_kernel_memories{kind="transient"} 3');
    expect(text).toContain('quiver_kernel_memory_bytes{kind="transient"} 600');
    expect(text).toMatch(/quiver_worker_heap_bytes\{kind="used"\} \d+/);
    scale = 3;
    text = await node();
    expect(text).toContain('quiver_kernel_memory_bytes{kind="touched"} 4000');
    // a fixed number of series: 6 kinds, two counts, 3 heap figures
    expect(text.split("\n").filter((l) => /^quiver_(kernel|worker)/.test(l))).toHaveLength(11);
  });
});
