import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QuiverClient } from "@quiver/api";
import { type Embedded, startEmbedded } from "@quiver/cli";
import { randomVectors } from "@quiver/cli/test-support";
import { silentLogger } from "@quiver/telemetry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { untilServing } from "./test-support/library-state.js";

const DIM = 8;
const COUNT = 300;

async function start(serverTiming: boolean): Promise<{ quiver: Embedded; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "quiver-server-timing-"));
  const quiver = await startEmbedded(
    { host: "127.0.0.1", port: 0, dataDir: dir, partitions: 2, logLevel: "silent", serverTiming },
    silentLogger(),
  );
  return { quiver, dir };
}

/** `a;dur=1.5, b;dur=2` -> { a: 1.5, b: 2 } */
function metrics(header: string | null): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of (header ?? "").split(",").filter(Boolean)) {
    const [name, dur] = m.trim().split(";dur=");
    out[name] = Number(dur);
  }
  return out;
}

async function search(url: string, libraryId: string, body: Record<string, unknown>) {
  const res = await fetch(`${url}/v1/libraries/${libraryId}/search`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return res;
}

describe("Server-Timing (QUIVER_SERVER_TIMING=1)", () => {
  let on: { quiver: Embedded; dir: string };
  const vectors = randomVectors(COUNT, DIM, 7);
  const query = Array.from(vectors.subarray(0, DIM));
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    on = await start(true);
    const client = new QuiverClient({ url: on.quiver.url });
    const configs = {
      none: { strategy: "none" },
      // trains after 100 vectors, so that searches rerank
      hybrid: { strategy: "hybrid", initial_search: "scalar", calibration_samples: 100 },
    };
    for (const [name, quantization_config] of Object.entries(configs)) {
      const lib = await client.createLibrary({ name, dimension: DIM, quantization_config });
      ids[name] = lib.id;
      const rows = Array.from({ length: COUNT }, (_, i) => ({
        id: `v${i}`,
        vector: vectors.subarray(i * DIM, (i + 1) * DIM),
      }));
      await client.upsert(lib.id, rows, { wait: true });
    }
    await untilServing(client, ids.hybrid);
  });
  afterAll(async () => {
    await on?.quiver.close();
    rmSync(on?.dir, { recursive: true, force: true });
  });

  it("says where a search's time went, phase by phase", async () => {
    const res = await search(on.quiver.url, ids.none, { vector: query, k: 5 });
    const m = metrics(res.headers.get("server-timing"));
    expect(Object.keys(m)).toEqual([
      "parse",
      "validate",
      "route",
      "search",
      "rerank",
      "merge",
      "handler",
      "serialize",
      "total",
    ]);
    for (const v of Object.values(m)) expect(v).toBeGreaterThanOrEqual(0);
    expect(m.rerank).toBe(0); // no rerank without hybrid
    expect(((await res.json()) as { results: { id: string }[] }).results[0].id).toBe("v0");
  });

  it("times hybrid's rerank within the shard's search", async () => {
    const res = await search(on.quiver.url, ids.hybrid, { vector: query, k: 5, rerank_top_k: 50 });
    const m = metrics(res.headers.get("server-timing"));
    expect(m.rerank).toBeGreaterThanOrEqual(0);
    expect(m.search).toBeGreaterThanOrEqual(m.rerank);
    expect(((await res.json()) as { results: { id: string }[] }).results[0].id).toBe("v0");
  });

  it("also times other routes, and is off by default", async () => {
    const res = await fetch(`${on.quiver.url}/v1/libraries/${ids.none}`);
    expect(Object.keys(metrics(res.headers.get("server-timing")))).toContain("total");

    const off = await start(false);
    try {
      const res2 = await fetch(`${off.quiver.url}/healthz`);
      expect(res2.status).toBe(200);
      expect(res2.headers.get("server-timing")).toBeNull();
    } finally {
      await off.quiver.close();
      rmSync(off.dir, { recursive: true, force: true });
    }
  });
});
