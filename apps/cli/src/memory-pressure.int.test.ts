import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QuiverClient, type StatisticsResponse } from "@quiver/api";
import {
  type MemoryPressure,
  type MemoryPressureSource,
  PrometheusSource,
} from "@quiver/coordinator";
import { silentLogger } from "@quiver/telemetry";
import { type Prometheus, startPrometheus } from "@quiver/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Embedded, startEmbedded } from "./embedded.js";
import { startTestCluster, type TestCluster } from "./test-support/test-cluster.js";
import { randomVectors } from "./test-support/vectors.js";

const DIM = 32;

/** Creates a library and loads `count` seeded vectors into it (applied before it returns). */
async function loadLibrary(
  client: QuiverClient,
  name: string,
  count: number,
  strategy: "none" | "scalar",
) {
  const data = randomVectors(count, DIM, 7);
  const library = await client.createLibrary({
    name,
    dimension: DIM,
    quantization_config:
      strategy === "scalar" ? { strategy, calibration_samples: 200 } : { strategy },
  });
  for (let start = 0; start < count; start += 500) {
    const rows = Array.from({ length: Math.min(500, count - start) }, (_, i) => ({
      id: `v${start + i}`,
      vector: data.subarray((start + i) * DIM, (start + i + 1) * DIM),
    }));
    await client.upsert(library.id, rows, { wait: true });
  }
  return library.id;
}

/** Reads the source until `ok` holds (Prometheus lags by a scrape); the last reading either way. */
async function readUntil(
  source: MemoryPressureSource,
  ok: (pressure: MemoryPressure) => boolean,
  timeoutMs = 30_000,
): Promise<MemoryPressure> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pressure = await source.read();
    if (ok(pressure) || Date.now() > deadline) return pressure;
    await new Promise((r) => setTimeout(r, 250));
  }
}

function agrees(pressure: MemoryPressure, stats: StatisticsResponse, tolerance: number): boolean {
  const library = pressure.libraries.get(stats.library_id);
  if (!library || library.vectors !== stats.num_vectors) return false;
  return (
    Math.abs(library.bytes - stats.memory_usage.bytes.total) <=
    tolerance * stats.memory_usage.bytes.total
  );
}

describe("memory pressure in embedded mode (ProcessSource)", () => {
  let dataDir: string;
  let quiver: Embedded;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "quiver-pressure-"));
    quiver = await startEmbedded(
      { host: "127.0.0.1", port: 0, dataDir, partitions: 3, logLevel: "silent" },
      silentLogger(),
    );
  });
  afterAll(async () => {
    await quiver?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("reports each library's bytes and vectors exactly as the statistics, and the process's RSS", async () => {
    const client = new QuiverClient({ url: quiver.url });
    const plain = await loadLibrary(client, "pressure-none", 1200, "none");
    const scalar = await loadLibrary(client, "pressure-scalar", 1200, "scalar");
    const pressure = await quiver.pressure.read();
    for (const id of [plain, scalar]) {
      const stats = await client.statistics(id);
      const library = pressure.libraries.get(id);
      expect(library?.vectors).toBe(1200);
      expect(library?.bytes).toBe(stats.memory_usage.bytes.total);
      const { float32_vectors: _, ...components } = stats.memory_usage.bytes;
      expect(library?.components).toEqual(components);
    }
    expect(pressure.libraries.get(scalar)!.bytes).toBeLessThan(
      pressure.libraries.get(plain)!.bytes,
    );
    expect(pressure.shards).toHaveLength(1);
    expect(pressure.shards[0].shardId).toBe("embedded");
    const rss = process.memoryUsage().rss;
    expect(pressure.shards[0].rssBytes).toBeGreaterThan(rss / 2);
    expect(pressure.shards[0].rssBytes).toBeLessThan(rss * 2);
  });
});

describe("memory pressure in a cluster (PrometheusSource over a real Prometheus)", () => {
  let cluster: TestCluster;
  let prometheus: Prometheus;
  beforeAll(async () => {
    cluster = await startTestCluster({ shards: 2, partitions: 4, replicas: 2 });
    prometheus = await startPrometheus({
      scrapeIntervalMs: 500,
      targets: [
        { job: "quiver-shard", urls: cluster.shardHttpUrls.map((url) => `${url}/metrics`) },
        { job: "quiver-coordinator", urls: [`${cluster.url}/metrics`] },
      ],
    });
  });
  afterAll(async () => {
    await prometheus?.stop();
    await cluster?.stop();
  });

  it("reports the library's bytes (summed over replicas) and vectors (once per partition) as the statistics do", async () => {
    const client = new QuiverClient({ url: cluster.url });
    const id = await loadLibrary(client, "pressure-cluster", 2000, "none");
    const stats = await client.statistics(id);
    expect(stats.memory_usage.replicas_counted).toBe(8); // 4 partitions x 2 replicas
    const source = new PrometheusSource({ url: prometheus.url });
    const pressure = await readUntil(
      source,
      (p) => agrees(p, stats, 0.01) && p.shards.length === 2,
    );
    const library = pressure.libraries.get(id);
    expect(library?.vectors).toBe(2000);
    expect(Math.abs(library!.bytes - stats.memory_usage.bytes.total)).toBeLessThanOrEqual(
      0.01 * stats.memory_usage.bytes.total,
    );
    expect(library!.components.codes).toBeGreaterThanOrEqual(2 * 2000 * DIM * 4);
    // when the figures were scraped: the policy disregards a scrape older than a strategy switch
    expect(library!.sampledAtMs).toBeLessThanOrEqual(pressure.atMs);
    expect(library!.sampledAtMs).toBeGreaterThan(pressure.atMs - 60_000);
    expect(pressure.shards.map((s) => s.shardId)).toEqual(["shard-1", "shard-2"]);
    for (const shard of pressure.shards) expect(shard.rssBytes).toBeGreaterThan(10_000_000);

    // The coordinator is scraped too, under its own job.
    const coordinator = await source.query(
      'process_resident_memory_bytes{job="quiver-coordinator"}',
    );
    expect(coordinator).toHaveLength(1);

    // A deleted library leaves the figures at the next scrape: no ghost for the policy.
    await client.deleteLibrary(id);
    const after = await readUntil(source, (p) => !p.libraries.has(id));
    expect(after.libraries.has(id)).toBe(false);
  });
});
