import { randomVectors } from "@quiver/cli/test-support";
import { expect, it } from "vitest";
import { untilServing } from "../library-state.js";
import type { ApiSuiteContext } from "./context.js";

/** Statistics and memory: vectors, state, bytes by component, savings against float32, training. */
export function defineStatisticsTests(suite: ApiSuiteContext): void {
  it("reports statistics: vectors, state, bytes by component and savings against float32", async () => {
    const { client, deployment } = suite;
    const dim = 64;
    const data = randomVectors(1500, dim, 12);
    const rows = Array.from({ length: 1500 }, (_, i) => ({
      id: `m${i}`,
      vector: data.subarray(i * dim, (i + 1) * dim),
    }));
    const plain = await client.createLibrary({ name: "stats-none", dimension: dim });
    await client.upsert(plain.id, rows, { wait: true });
    const none = await client.statistics(plain.id);
    expect(none).toMatchObject({ library_id: plain.id, num_vectors: 1500, state: "serving" });
    expect(none.memory_usage.bytes.codes).toBeGreaterThanOrEqual(1500 * dim * 4);
    expect(none.memory_usage.bytes.graph).toBeGreaterThan(0);
    expect(none.memory_usage.savings_vs_float32_ratio).toBeLessThanOrEqual(0);
    const partitions = Math.min(2, deployment.maxPartitions);
    const scalar = await client.createLibrary({
      name: "stats-scalar",
      dimension: dim,
      partitions,
      quantization_config: { strategy: "scalar", calibration_samples: 1000 },
    });
    await client.upsert(scalar.id, rows.slice(0, 500), { wait: true });
    const collecting = await client.statistics(scalar.id);
    expect(collecting).toMatchObject({ state: "training", quantization: { training: null } });
    // the sample is the library's: 1,500 vectors train it, over however many partitions
    await client.upsert(scalar.id, rows.slice(500), { wait: true });
    const trained = await untilServing(client, scalar.id);
    expect(trained).toMatchObject({ num_vectors: 1500, state: "serving" });
    const training = trained.quantization.training;
    expect(training).toMatchObject({ sample_size: 1000 });
    // every partition runs the one quantizer trained for the library
    expect(trained.partitions).toHaveLength(partitions);
    for (const p of trained.partitions) {
      expect(p).toMatchObject({ phase: "quantized", training_id: training?.training_id });
    }
    expect(trained.memory_usage.savings_vs_float32_ratio).toBeGreaterThan(0.5);
    expect(trained.memory_usage.bytes.codes).toBeLessThan(none.memory_usage.bytes.codes / 2);
    expect(trained.memory_usage.savings_vs_float32).toMatch(/^\d+%$/);
    expect(trained.memory_usage.total).toMatch(/B$/);
  });
}
