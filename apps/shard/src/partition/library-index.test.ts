import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KernelWorkspace, quantizerBytes, trainQuantizer } from "@quiver/engine";
import { type PartitionLibrary, PartitionStore } from "@quiver/store";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LibraryIndex } from "./library-index.js";

const P = 0;
const record: PartitionLibrary = {
  libraryId: "lib",
  tenantId: "t",
  name: "lib",
  dimension: 4,
  metric: "l2",
  indexType: "flat",
  hnsw: { m: 8, ef_construction: 32, ef_search: 32 },
  quantization: { strategy: "none" },
  createdAtMs: 1,
};

describe("LibraryIndex", () => {
  let dir: string;
  let store: PartitionStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "quiver-library-index-"));
    store = PartitionStore.open({ path: dir });
    store.apply(P, 1, (tx) => tx.putLibrary(record));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Stores the vector (the store gives its internal id) and indexes it, as the applier does. */
  function upsert(index: LibraryIndex, seq: number, vectorId: string, vector: number[]): number {
    const v = Float32Array.from(vector);
    const { internalId } = store.apply(P, seq, (tx) => tx.upsertVector("lib", vectorId, v, null));
    index.upsert(internalId, v);
    return internalId;
  }

  it("answers the ids of the vectors it finds, also once an internal id is reused", () => {
    const index = LibraryIndex.create(record, store, P);
    const a = upsert(index, 2, "alpha", [1, 0, 0, 0]);
    upsert(index, 3, "beta", [0, 1, 0, 0]);
    const [hit] = index.search([1, 0, 0, 0], 1).ids;
    expect(index.vectorId(hit, store, P)).toBe("alpha");
    expect(index.metadataBytes).toBeGreaterThan(0);

    // alpha goes; the next new vector takes its internal id
    const freed = store.apply(P, 4, (tx) => tx.deleteVector("lib", "alpha"));
    expect(freed).toBe(a);
    index.delete(a);
    expect(index.metadataBytes).toBe(0);
    const c = upsert(index, 5, "gamma", [1, 0, 0, 0]);
    expect(c).toBe(a);
    const [again] = index.search([1, 0, 0, 0], 1).ids;
    expect(again).toBe(a);
    expect(index.vectorId(again, store, P)).toBe("gamma");
    index.dispose();
  });

  it("restores a trained library without a snapshot straight to codes, opening no transient memory", () => {
    const scalar = { strategy: "scalar", bits: 8, calibration_samples: 20 } as const;
    const trained: PartitionLibrary = { ...record, indexType: "hnsw", quantization: scalar };
    store.apply(P, 2, (tx) => tx.putLibrary(trained));
    const rows = new Float32Array(20 * 4);
    for (let i = 0; i < 20; i++) {
      const v = Float32Array.from([i, i % 3, Math.sin(i), 1]);
      rows.set(v, i * 4);
      store.apply(P, 3 + i, (tx) => tx.upsertVector("lib", `v${i}`, v, null));
    }
    const parameters = quantizerBytes(trainQuantizer(scalar, rows, 20, 4, "l2"));
    vi.spyOn(store, "quantizer").mockReturnValue(parameters);
    vi.spyOn(store, "readSnapshot").mockReturnValue(undefined);
    const workspace = new KernelWorkspace();
    const index = LibraryIndex.restore(trained, store, P, workspace);
    expect(index.phase).toBe("quantized");
    expect(index.size).toBe(20);
    expect(workspace.figures()).toMatchObject({ memoriesCreated: 1, transientMemories: 0 });
    const [hit] = index.search([7, 1, Math.sin(7), 1], 1).ids;
    expect(index.vectorId(hit, store, P)).toBe("v7");
    index.dispose();
  });
});
