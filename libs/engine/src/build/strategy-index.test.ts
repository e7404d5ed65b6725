import { describe, expect, it } from "vitest";
import { isEngineError } from "../errors.js";
import { FlatIndex } from "../flat/flat-index.js";
import { HnswIndex } from "../hnsw/hnsw-index.js";
import { HybridIndex } from "../hybrid/hybrid-index.js";
import { InMemoryOriginals } from "../hybrid/originals-source.js";
import { randomVectors, vectorOf } from "../test-support/reference.js";
import { KernelWorkspace } from "../workspace/kernel-workspace.js";
import type { IndexBlueprint, StrategyConfig } from "./strategy-config.js";
import { buildStrategyIndex, createStrategyIndex } from "./strategy-index.js";
import { loadQuantizer, quantizerBytes, trainQuantizer } from "./train-quantizer.js";

const DIM = 16;
const N = 600;
const data = randomVectors(N + 10, DIM, 21);
const originals = new InMemoryOriginals(DIM);
for (let i = 0; i < N; i++) originals.set(i, vectorOf(data, DIM, i));

const scalar: StrategyConfig = { strategy: "scalar", bits: 8, calibration_samples: 200 };
const hybridProduct: StrategyConfig = {
  strategy: "hybrid",
  initial_search: "product",
  rerank_top_k: 40,
  bits: 8,
  calibration_samples: 200,
  subvectors: 4,
  codebook_size: 32,
  training_samples: 300,
};

function blueprint(strategy: StrategyConfig, indexType: "hnsw" | "flat" = "hnsw"): IndexBlueprint {
  return { dim: DIM, metric: "cosine", indexType, hnsw: { m: 8, efConstruction: 64 }, strategy };
}

describe("the strategy-to-index builder", () => {
  it("builds the exact phase until the sample is full, then the codes", () => {
    const few = buildStrategyIndex(blueprint(scalar), { values: data, count: 100 });
    expect(few.phase).toBe("exact");
    expect(few.quantizer).toBeUndefined();
    expect(few.stored).toBeInstanceOf(FlatIndex);
    expect(few.stored.store.kind).toBe("f32");
    const full = buildStrategyIndex(blueprint(scalar), { values: data, count: N });
    expect(full.phase).toBe("quantized");
    expect(full.stored).toBeInstanceOf(HnswIndex);
    expect(full.stored.store.kind).toBe("scalar");
    expect(full.index).toBe(full.stored);
    expect(full.stored.size).toBe(N);
  });

  it("keeps the exact phase in a transient memory, given back once the codes replace it", () => {
    const workspace = new KernelWorkspace();
    const none = createStrategyIndex(blueprint({ strategy: "none" }), undefined, { workspace });
    none.index.upsert(0, vectorOf(data, DIM, 0));
    const exact = buildStrategyIndex(
      blueprint(scalar),
      { values: data, count: 150 },
      { workspace },
    );
    expect(exact.phase).toBe("exact");
    expect(workspace.isTransient(exact.stored.store.home.mem)).toBe(true);
    expect(workspace.isTransient(none.stored.store.home.mem)).toBe(false);
    const withExact = workspace.figures();
    expect(withExact.transientMemories).toBe(1);
    expect(withExact.transientCommittedBytes).toBeGreaterThan(150 * DIM * 4);
    const trained = buildStrategyIndex(
      blueprint(scalar),
      { values: data, count: N },
      { workspace },
    );
    expect(workspace.isTransient(trained.stored.store.home.mem)).toBe(false);
    exact.dispose();
    const after = workspace.figures();
    expect(after.transientMemories).toBe(0);
    expect(after.memories).toBe(1);
    expect(after.transientCommittedBytes).toBe(0);
    expect(trained.index.search(vectorOf(data, DIM, 3), 1).ids[0]).toBe(3);
  });

  it("trains apart from building: loaded parameters build the same index", () => {
    const bp = blueprint(hybridProduct);
    const built = buildStrategyIndex(bp, { values: data, count: N }, { originals });
    const bytes = quantizerBytes(built.quantizer!)!;
    // a shard that receives the parameters only loads them and builds
    const again = createStrategyIndex(bp, loadQuantizer(bp.strategy, DIM, bytes), { originals });
    for (let i = 0; i < N; i++) again.stored.upsert(i, vectorOf(data, DIM, i));
    expect(again.index).toBeInstanceOf(HybridIndex);
    for (let q = 0; q < 5; q++) {
      const query = vectorOf(data, DIM, N + q);
      const a = built.index.search(query, 10);
      const b = again.index.search(query, 10);
      expect(b.ids).toEqual(a.ids);
      expect(b.distances).toEqual(a.distances);
    }
    // the same parameters as training them directly on the first rows (cosine: normalised)
    const direct = trainQuantizer(bp.strategy, data, 300, DIM, "cosine");
    expect(quantizerBytes(direct)).toEqual(bytes);
  });

  it("puts a float32 cache in front of the originals when asked, and frees it all", () => {
    const ws = new KernelWorkspace();
    const built = buildStrategyIndex(
      blueprint(hybridProduct, "flat"),
      { values: data, count: N },
      { originals, workspace: ws, float32CacheRows: 100 },
    );
    expect(built.cache).toBeDefined();
    built.index.search(vectorOf(data, DIM, N), 10);
    expect(built.cache!.rows).toBeGreaterThan(0);
    expect(ws.figures().regionBytes).toBeGreaterThan(0);
    built.dispose();
    expect(ws.figures().regionBytes).toBe(0);
  });

  it("refuses a hybrid without originals", () => {
    let error: unknown;
    try {
      buildStrategyIndex(blueprint(hybridProduct), { values: data, count: N });
    } catch (e) {
      error = e;
    }
    expect(isEngineError(error, "INVALID_CONFIG")).toBe(true);
  });
});
