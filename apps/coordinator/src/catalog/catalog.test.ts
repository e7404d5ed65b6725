import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CATALOG_PARTITION,
  encodeEvent,
  type QuiverEvent,
  type RecallMeasured,
} from "@quiver/events";
import { LmdbLog } from "@quiver/log";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Catalog } from "./catalog.js";

const created = (libraryId: string): QuiverEvent => ({
  type: "library.created",
  libraryId,
  tenantId: "t",
  name: libraryId,
  dimension: 4,
  metric: "l2",
  indexType: "hnsw",
  hnsw: { m: 8, ef_construction: 32, ef_search: 32 },
  quantization: { strategy: "none" },
  createdAtMs: 1,
});

const measured = (libraryId: string, measuredAtMs: number, recallAt10: number): RecallMeasured => ({
  type: "recall.measured",
  libraryId,
  recallAt10,
  recallAt100: 0.9,
  sampleSize: 200,
  numVectors: 5000,
  strategy: "none",
  measuredAtMs,
  durationMs: 40,
});

describe("Catalog recall measurements", () => {
  let dir: string;
  let log: LmdbLog;
  let n = 0;
  const append = (event: QuiverEvent) =>
    log.append(CATALOG_PARTITION, encodeEvent(event), `m${n++}`);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "quiver-catalog-"));
    log = LmdbLog.open({ path: join(dir, "log") });
  });
  afterEach(async () => {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps the latest measurement per library, follows new ones and survives a restart", async () => {
    await append(created("a"));
    await append(created("b"));
    await append(measured("a", 2000, 0.8));
    await append(measured("a", 1000, 0.5)); // older, appended late: not the latest
    await append(measured("ghost", 1000, 0.5)); // no such library
    const catalog = new Catalog(log);
    await catalog.start();
    expect(catalog.recall("a")?.recallAt10).toBe(0.8);
    expect(catalog.recall("b")).toBeUndefined();
    expect(catalog.allRecalls().map((r) => r.libraryId)).toEqual(["a"]);
    const { seq } = await append(measured("b", 3000, 0.95));
    expect(await catalog.waitFor(seq, 5000)).toBe(true);
    expect(catalog.recall("b")?.recallAt10).toBe(0.95);
    await catalog.stop();

    const restarted = new Catalog(log);
    await restarted.start();
    expect(restarted.recall("a")).toEqual(measured("a", 2000, 0.8));
    expect(restarted.recall("b")?.recallAt10).toBe(0.95);
    await restarted.stop();
  });

  it("forgets a deleted library's measurement", async () => {
    await append(created("a"));
    await append(measured("a", 1000, 0.7));
    await append({ type: "library.deleted", libraryId: "a" });
    const catalog = new Catalog(log);
    await catalog.start();
    expect(catalog.recall("a")).toBeUndefined();
    expect(catalog.allRecalls()).toEqual([]);
    await catalog.stop();
  });
});
