import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QuiverClient, type StatisticsResponse } from "@quiver/api";
import { startEmbedded } from "@quiver/cli";
import { randomVectors } from "@quiver/cli/test-support";
import { silentLogger } from "@quiver/telemetry";
import { afterAll, describe, expect, it } from "vitest";

const DIM = 8;

async function fill(client: QuiverClient, id: string, count: number, seed: number): Promise<void> {
  const data = randomVectors(count, DIM, seed);
  const rows = Array.from({ length: count }, (_, i) => ({
    id: `v${i}`,
    vector: data.subarray(i * DIM, (i + 1) * DIM),
  }));
  await client.upsert(id, rows, { wait: true });
}

/** Polls the statistics until `done` holds, or fails after `timeoutMs`. */
async function statisticsWhen(
  client: QuiverClient,
  id: string,
  done: (s: StatisticsResponse) => boolean,
  timeoutMs: number,
): Promise<StatisticsResponse> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stats = await client.statistics(id);
    if (done(stats)) return stats;
    if (Date.now() > deadline)
      throw new Error(`not within ${timeoutMs} ms: ${JSON.stringify(stats)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("background recall probe (embedded)", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "quiver-probe-bg-"));
  const config = {
    host: "127.0.0.1",
    port: 0,
    dataDir,
    partitions: 2,
    logLevel: "silent",
  };
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("measures libraries of 1,000 vectors or more on its own, and a restart keeps the measurement", async () => {
    const quiver = await startEmbedded({ ...config, probeIntervalMs: 1_000 }, silentLogger());
    const client = new QuiverClient({ url: quiver.url });
    let measuredAt: string;
    let libraryId: string;
    try {
      const large = await client.createLibrary({ name: "large", dimension: DIM });
      const small = await client.createLibrary({ name: "small", dimension: DIM });
      await fill(client, large.id, 1_200, 1);
      await fill(client, small.id, 999, 2);
      libraryId = large.id;
      const first = await statisticsWhen(
        client,
        large.id,
        (s) => s.quantization.accuracy_metrics !== null,
        20_000,
      );
      const metrics = first.quantization.accuracy_metrics;
      expect(metrics).toMatchObject({ sample_size: 200, strategy: "none" });
      expect(metrics?.["recall@10"]).toBeGreaterThan(0.9);
      // the interval has passed: measured again
      const again = await statisticsWhen(
        client,
        large.id,
        (s) => s.quantization.accuracy_metrics?.measured_at !== metrics?.measured_at,
        20_000,
      );
      measuredAt = again.quantization.accuracy_metrics?.measured_at as string;
      expect((await client.statistics(small.id)).quantization.accuracy_metrics).toBeNull();
      const text = await (await fetch(`${quiver.url}/metrics`)).text();
      expect(text).toContain(`quiver_library_recall{library_id="${large.id}",k="10"}`);
      expect(text).not.toContain(`quiver_library_recall{library_id="${small.id}"`);
    } finally {
      await quiver.close();
    }

    const restarted = await startEmbedded({ ...config, probeIntervalMs: 0 }, silentLogger());
    try {
      const stats = await new QuiverClient({ url: restarted.url }).statistics(libraryId);
      expect(
        Date.parse(stats.quantization.accuracy_metrics?.measured_at as string),
      ).toBeGreaterThanOrEqual(Date.parse(measuredAt));
    } finally {
      await restarted.close();
    }
  });
});
