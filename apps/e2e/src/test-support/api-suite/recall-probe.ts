import { randomVectors } from "@quiver/cli/test-support";
import { expect, it } from "vitest";
import { untilServing } from "../library-state.js";
import { type ApiSuiteContext, expectApiError } from "./context.js";

/** The recall probe on demand: its figures in the statistics and the metrics; bad requests. */
export function defineRecallProbeTests(suite: ApiSuiteContext): void {
  it("measures recall on demand, and reports it in the statistics and the metrics", async () => {
    const { client, deployment } = suite;
    const dim = 16;
    const count = 800; // below the background probe's minimum: only this test measures it
    const data = randomVectors(count, dim, 31);
    const rows = Array.from({ length: count }, (_, i) => ({
      id: `r${i}`,
      vector: data.subarray(i * dim, (i + 1) * dim),
    }));
    const product = await client.createLibrary({
      name: "probe-pq",
      dimension: dim,
      partitions: Math.min(2, deployment.maxPartitions),
      quantization_config: { strategy: "product", subvectors: 2, training_samples: 300 },
    });
    expect((await client.statistics(product.id)).quantization.accuracy_metrics).toBeNull();
    await expectApiError(client.probeRecall(product.id), 409, "at least 2");
    await client.upsert(product.id, rows, { wait: true });
    await untilServing(client, product.id);
    const measured = await client.probeRecall(product.id, { sampleSize: 100 });
    expect(measured).toMatchObject({
      library_id: product.id,
      sample_size: 100,
      num_vectors: count,
      strategy: "product",
    });
    // 2 codes of 8 dimensions each lose neighbours; at 100 of 799 the sets overlap more
    expect(measured.recall_at_10).toBeGreaterThan(0.05);
    expect(measured.recall_at_10).toBeLessThan(0.95);
    expect(measured.recall_at_100).toBeGreaterThan(measured.recall_at_10);
    expect(measured.recall_at_100).toBeLessThanOrEqual(1);
    expect(Date.parse(measured.measured_at)).toBeGreaterThan(Date.now() - 60_000);
    expect(measured.duration_ms).toBeGreaterThanOrEqual(0);
    const stats = await client.statistics(product.id);
    expect(stats.quantization.accuracy_metrics).toEqual({
      "recall@10": measured.recall_at_10,
      "recall@100": measured.recall_at_100,
      sample_size: 100,
      measured_at: measured.measured_at,
      duration_ms: measured.duration_ms,
      strategy: "product",
    });
    // a seed draws the same queries again: the same figures
    const seeded = await client.probeRecall(product.id, { sampleSize: 50, seed: 5 });
    expect(await client.probeRecall(product.id, { sampleSize: 50, seed: 5 })).toMatchObject({
      recall_at_10: seeded.recall_at_10,
      recall_at_100: seeded.recall_at_100,
    });
    const latest = (await client.statistics(product.id)).quantization.accuracy_metrics;
    expect(latest?.sample_size).toBe(50);
    const metrics = await (await fetch(`${deployment.url}/metrics`)).text();
    const gauge = (name: string, labels: string) =>
      Number(metrics.match(new RegExp(`^${name}\\{${labels}\\} (\\S+)$`, "m"))?.[1]);
    const at10 = gauge("quiver_library_recall", `library_id="${product.id}",k="10"`);
    expect(at10).toBeCloseTo(seeded.recall_at_10, 10);
    expect(gauge("quiver_library_recall", `library_id="${product.id}",k="100"`)).toBeCloseTo(
      seeded.recall_at_100,
      10,
    );
    expect(gauge("quiver_library_recall_sample_size", `library_id="${product.id}"`)).toBe(50);
    expect(
      gauge("quiver_library_recall_measured_timestamp_seconds", `library_id="${product.id}"`),
    ).toBeCloseTo(Date.parse(latest?.measured_at as string) / 1000, 2);

    // float32 HNSW over so few vectors finds (nearly) every neighbour; the sample is capped
    const plain = await client.createLibrary({ name: "probe-none", dimension: dim });
    await client.upsert(plain.id, rows, { wait: true });
    const exact = await client.probeRecall(plain.id, { sampleSize: 2000 });
    expect(exact.sample_size).toBe(count);
    expect(exact.recall_at_10).toBeGreaterThan(0.98);
    expect(exact.recall_at_100).toBeGreaterThan(0.98);
  });

  it("rejects a bad probe request with a 4xx naming the field", async () => {
    const { client, deployment } = suite;
    const lib = await client.createLibrary({ name: "probe-bad", dimension: 4 });
    const post = (body: string) =>
      fetch(`${deployment.url}/v1/libraries/${lib.id}/quantization/probe`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
    for (const body of [
      { sample_size: 0 },
      { sample_size: 2001 },
      { sample_size: "10" },
      { sample_size: 1.5 },
      { seed: -1 },
      { sample_size: 10, seed: "x" },
    ]) {
      const res = await post(JSON.stringify(body));
      expect(res.status).toBe(400);
      const error = ((await res.json()) as { error: { message: string; details: object } }).error;
      const field = "seed" in body ? "seed" : "sample_size";
      expect(error.message).toContain(field);
      expect(error.details).toMatchObject({ field });
    }
    const extra = await post(JSON.stringify({ samples: 10 }));
    expect(extra.status).toBe(400);
    await expectApiError(client.probeRecall("lib_missing"), 404);
  });
}
