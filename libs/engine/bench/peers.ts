import { createRequire } from "node:module";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Dataset } from "@quiver/testing";

const require = createRequire(import.meta.url);

/** The peers' search calls, behind one shape: build once, then search at a given ef. */
export interface PeerIndex {
  /** Converts the queries to the peer's input type (outside the timed build and searches). */
  prepareQueries(): void;
  setEf(ef: number): void;
  search(queryIndex: number, k: number): ArrayLike<number>;
}

/** hnswlib-node (C++ hnswlib): takes JS arrays, so queries are converted once, before timing. */
export function buildHnswlib(data: Dataset, m: number, efConstruction: number): PeerIndex {
  const { HierarchicalNSW } = require("hnswlib-node") as typeof import("hnswlib-node");
  const space = data.metric === "dot" ? "ip" : data.metric;
  const index = new HierarchicalNSW(space, data.dim);
  index.initIndex(data.baseCount, m, efConstruction, 100);
  const dim = data.dim;
  for (let i = 0; i < data.baseCount; i++)
    index.addPoint(Array.from(data.base.subarray(i * dim, (i + 1) * dim)), i);
  let queries: number[][] = [];
  return {
    prepareQueries: () => {
      queries = Array.from({ length: data.queryCount }, (_, q) =>
        Array.from(data.queries.subarray(q * dim, (q + 1) * dim)),
      );
    },
    setEf: (ef) => index.setEf(ef),
    search: (q, k) => index.searchKnn(queries[q], k).neighbors,
  };
}

/**
 * usearch with one storage type (f32, bf16, i8), single-threaded. Its JS binding fixes the search
 * expansion at construction, so the built index is saved once and loaded into an index per ef.
 */
export function buildUsearch(
  data: Dataset,
  m: number,
  efConstruction: number,
  quantization: string,
): PeerIndex {
  const usearch = require("usearch") as typeof import("usearch");
  const metric = data.metric === "l2" ? "l2sq" : data.metric === "cosine" ? "cos" : "ip";
  const config = (ef: number) => ({
    dimensions: data.dim,
    metric: metric as import("usearch").MetricKind,
    quantization: quantization as import("usearch").ScalarKind,
    connectivity: m,
    expansion_add: efConstruction,
    expansion_search: ef,
    multi: false,
  });
  let index = new usearch.Index(config(64));
  const dim = data.dim;
  for (let i = 0; i < data.baseCount; i++)
    index.add(BigInt(i), data.base.subarray(i * dim, (i + 1) * dim), 1);
  const dir = mkdtempSync(join(tmpdir(), "quiver-bench-usearch-"));
  const file = join(dir, "index.usearch");
  index.save(file);
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  let queries: Float32Array[] = [];
  return {
    prepareQueries: () => {
      queries = Array.from({ length: data.queryCount }, (_, q) =>
        data.queries.subarray(q * dim, (q + 1) * dim),
      );
    },
    setEf: (ef) => {
      index = new usearch.Index(config(ef));
      index.load(file);
    },
    search: (q, k) => Array.from(index.search(queries[q], k, 1).keys, Number),
  };
}
