import { describe, expect, it } from "vitest";
import { isEngineError } from "../errors.js";
import { FlatIndex } from "../flat/flat-index.js";
import { HnswIndex } from "../hnsw/hnsw-index.js";
import { CachedOriginals } from "../hybrid/cached-originals.js";
import { HybridIndex } from "../hybrid/hybrid-index.js";
import { InMemoryOriginals } from "../hybrid/originals-source.js";
import { kernelMemoriesCreated } from "../kernels/kernel-memory.js";
import type { Metric } from "../metric.js";
import { ProductQuantizer } from "../quantization/product-quantizer.js";
import { ScalarQuantizer } from "../quantization/scalar-quantizer.js";
import { randomVectors, vectorOf } from "../test-support/reference.js";
import type { SearchResult, VectorIndex } from "../vector-index.js";
import { KernelWorkspace } from "./kernel-workspace.js";

/** One index of a mix: how to build it in a workspace, and the data it holds. */
interface Case {
  name: string;
  dim: number;
  n: number;
  build: (ws: KernelWorkspace) => VectorIndex;
}

function dataOf(dim: number, n: number): Float32Array {
  return randomVectors(n + 8, dim, dim * 13 + n, 2);
}

function originalsOf(dim: number, data: Float32Array, n: number): InMemoryOriginals {
  const o = new InMemoryOriginals(dim, n);
  for (let i = 0; i < n; i++) o.set(i, vectorOf(data, dim, i));
  return o;
}

/** Indexes of different dims, M, metrics and strategies, to share one workspace's scratch. */
function mix(): Case[] {
  const cases: Case[] = [];
  const add = (name: string, dim: number, n: number, make: Case["build"]) =>
    cases.push({ name, dim, n, build: make });
  const hnsw =
    (dim: number, metric: Metric, m: number, extra = {}) =>
    (ws: KernelWorkspace) =>
      new HnswIndex({ dim, metric, m, efConstruction: 48, workspace: ws, ...extra });
  add("hnsw f32 8d m4", 8, 300, hnsw(8, "l2", 4));
  add("hnsw f32 61d m16 cosine", 61, 400, hnsw(61, "cosine", 16));
  const d37 = dataOf(37, 500);
  const scalar = ScalarQuantizer.train(d37, 500, 37);
  add(
    "hnsw scalar 37d m12",
    37,
    500,
    hnsw(37, "l2", 12, { storage: { kind: "scalar", quantizer: scalar } }),
  );
  const d24 = dataOf(24, 400);
  const pq = ProductQuantizer.train(d24, 400, 24, { subvectors: 6, codebookSize: 32 });
  const o24 = originalsOf(24, d24, 400);
  add(
    "hnsw product 24d m8, links on originals",
    24,
    400,
    hnsw(24, "dot", 8, { storage: { kind: "product", quantizer: pq }, originals: o24 }),
  );
  add(
    "flat scalar 37d",
    37,
    500,
    (ws) =>
      new FlatIndex({
        dim: 37,
        metric: "l2",
        storage: { kind: "scalar", quantizer: scalar },
        workspace: ws,
      }),
  );
  add("hybrid product 24d, cached", 24, 400, (ws) => {
    const quantized = new HnswIndex({
      dim: 24,
      metric: "l2",
      m: 6,
      storage: { kind: "product", quantizer: pq },
      workspace: ws,
    });
    return new HybridIndex({
      quantized,
      originals: new CachedOriginals(o24, 150, ws),
      rerankTopK: 30,
    });
  });
  return cases;
}

/** Builds every case in `workspaceOf(case)`, inserting round-robin so that the builds interleave. */
function buildAll(cases: Case[], workspaceOf: (c: Case) => KernelWorkspace): VectorIndex[] {
  const indexes = cases.map((c) => c.build(workspaceOf(c)));
  const data = cases.map((c) => dataOf(c.dim, c.n));
  const most = Math.max(...cases.map((c) => c.n));
  for (let i = 0; i < most; i++)
    cases.forEach((c, j) => {
      if (i < c.n) indexes[j].upsert(i, vectorOf(data[j], c.dim, i));
    });
  return indexes;
}

/** Every case's answers to its queries, asked round-robin. */
function answers(cases: Case[], indexes: VectorIndex[]): SearchResult[][] {
  const data = cases.map((c) => dataOf(c.dim, c.n));
  const out: SearchResult[][] = cases.map(() => []);
  for (let q = 0; q < 8; q++)
    cases.forEach((c, j) => out[j].push(indexes[j].search(vectorOf(data[j], c.dim, c.n + q), 10)));
  return out;
}

describe("indexes sharing a workspace", () => {
  it("answer as they do in private workspaces, whatever their dims, M and strategies", () => {
    const cases = mix();
    const privateAnswers = answers(
      cases,
      buildAll(cases, () => new KernelWorkspace()),
    );
    const shared = new KernelWorkspace();
    const sharedAnswers = answers(
      cases,
      buildAll(cases, () => shared),
    );
    expect(shared.figures().memories).toBe(1);
    cases.forEach((c, j) => expect(sharedAnswers[j], c.name).toEqual(privateAnswers[j]));
  });

  it("answer the same when small memories force them apart, and after compaction", () => {
    const cases = mix();
    const privateAnswers = answers(
      cases,
      buildAll(cases, () => new KernelWorkspace()),
    );
    // 256 KiB memories: the indexes outgrow them and move, some more than once
    const ws = new KernelWorkspace({ memoryLimitBytes: 256 * 1024, compactionMinBytes: 0 });
    const indexes = buildAll(cases, () => ws);
    expect(ws.figures().memoriesCreated).toBeGreaterThanOrEqual(2);
    cases.forEach((c, j) => expect(answers(cases, indexes)[j], c.name).toEqual(privateAnswers[j]));
    ws.compact();
    cases.forEach((c, j) => expect(answers(cases, indexes)[j], c.name).toEqual(privateAnswers[j]));
  });

  it("keep answering the same while a compaction moves them between searches", () => {
    const ws = new KernelWorkspace({ compactionMinBytes: 1 << 20 });
    const dim = 32;
    const data = dataOf(dim, 2000);
    const indexes = Array.from({ length: 300 }, (_, i) => {
      const index = new HnswIndex({ dim, metric: "l2", m: 8, efConstruction: 32, workspace: ws });
      for (let v = 0; v < 40; v++) index.upsert(v, vectorOf(data, dim, (i * 7 + v) % 2000));
      return index;
    });
    const query = (i: number) => vectorOf(data, dim, (i * 13) % 2000);
    const before = indexes.map((index, i) => index.search(query(i), 5));
    const touched = ws.figures().touchedBytes;
    // a library in five is kept; the others go
    indexes.forEach((index, i) => i % 5 !== 0 && index.dispose());
    const kept = indexes.filter((_, i) => i % 5 === 0);
    expect(ws.needsCompaction()).toBe(true);
    let steps = 0;
    while (ws.compactStep(64 * 1024)) {
      steps++;
      // searches run between steps, on moved and not yet moved indexes alike
      for (const index of kept) {
        const i = indexes.indexOf(index);
        expect(index.search(query(i), 5)).toEqual(before[i]);
      }
    }
    expect(steps).toBeGreaterThan(1);
    const after = ws.figures();
    expect(after.memories).toBe(1);
    expect(after.touchedBytes).toBeLessThan(touched / 2);
    for (const index of kept) {
      const i = indexes.indexOf(index);
      expect(index.search(query(i), 5)).toEqual(before[i]);
      // and they still take writes
      const fresh = randomVectors(1, dim, 1000 + i, 50);
      index.upsert(40, fresh);
      expect(index.search(fresh, 1).ids[0]).toBe(40);
    }
  });
});

describe("many libraries in one workspace", () => {
  it("holds 20,000 small indexes in one or two Wasm memories, all searchable", () => {
    const created = kernelMemoriesCreated();
    const ws = new KernelWorkspace();
    const dim = 8;
    const data = randomVectors(64, dim, 5);
    const indexes: VectorIndex[] = [];
    for (let i = 0; i < 20_000; i++) {
      const index =
        i % 2 === 0
          ? new HnswIndex({ dim, metric: "l2", m: 4, workspace: ws })
          : new FlatIndex({ dim, metric: "l2", workspace: ws });
      for (let v = 0; v < 3; v++) index.upsert(v, vectorOf(data, dim, (i + v * 17) % 64));
      indexes.push(index);
    }
    const figures = ws.figures();
    expect(figures.memories).toBeLessThanOrEqual(2);
    expect(kernelMemoriesCreated() - created).toBeLessThanOrEqual(2);
    // each index holds little: its arena and parameters, no scratch of its own
    expect(figures.regionBytes / 20_000).toBeLessThan(4096);
    for (let i = 0; i < 20_000; i += 7) {
      const r = indexes[i].search(vectorOf(data, dim, (i + 17) % 64), 1);
      expect(r.ids[0]).toBe(1);
      expect(r.distances[0]).toBe(0);
    }
    for (const index of indexes) index.dispose();
    expect(ws.figures().regionBytes).toBe(0);
  });

  it("gives a disposed index's memory back for the next library to reuse", () => {
    const ws = new KernelWorkspace();
    const dim = 48;
    const data = randomVectors(600, dim, 9);
    const fill = (index: VectorIndex) => {
      for (let v = 0; v < 500; v++) index.upsert(v, vectorOf(data, dim, v));
      return index;
    };
    const keep = fill(new HnswIndex({ dim, metric: "l2", workspace: ws }));
    const baseline = ws.figures().regionBytes;
    const gone = fill(new HnswIndex({ dim, metric: "l2", workspace: ws }));
    expect(ws.figures().regionBytes).toBeGreaterThan(baseline + 500 * dim * 4);
    gone.dispose();
    expect(ws.figures().regionBytes).toBe(baseline);
    const touched = ws.figures().touchedBytes;
    // the next library of the same size fits in the freed blocks
    fill(new HnswIndex({ dim, metric: "l2", workspace: ws }));
    expect(ws.figures().touchedBytes).toBeLessThanOrEqual(touched);
    expect(keep.search(vectorOf(data, dim, 3), 1).ids[0]).toBe(3);
    let error: unknown;
    try {
      gone.search(vectorOf(data, dim, 3), 1);
    } catch (e) {
      error = e;
    }
    expect(isEngineError(error, "DISPOSED")).toBe(true);
  });
});
