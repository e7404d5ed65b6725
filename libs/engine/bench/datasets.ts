import {
  cachedU32,
  clusteredGaussian,
  type Dataset,
  loadFashionMnist,
  normalized,
  subset,
} from "@quiver/testing";
import { exactNeighbours } from "../src/index.js";

/** The data sets of the benchmark: the real one, its cosine form, and seeded synthetic sets. */
export const DATASETS = {
  "fashion-mnist": { base: 60_000, load: (): Dataset => loadFashionMnist() },
  "fashion-mnist-cosine": { base: 60_000, load: (): Dataset => normalized(loadFashionMnist()) },
  "clustered-384": {
    base: 200_000,
    load: (base: number, queries: number): Dataset =>
      clusteredGaussian({
        baseCount: base,
        queryCount: queries,
        dim: 384,
        clusters: 256,
        seed: 384,
      }),
  },
  "anisotropic-128": {
    base: 100_000,
    load: (base: number, queries: number): Dataset =>
      clusteredGaussian({
        baseCount: base,
        queryCount: queries,
        dim: 128,
        clusters: 128,
        seed: 128,
        anisotropic: true,
      }),
  },
} as const;

export type DatasetName = keyof typeof DATASETS;

export function isDatasetName(name: string): name is DatasetName {
  return name in DATASETS;
}

/** The first `base` vectors and `queries` queries of a data set (`base` 0: its default size). */
export function loadDataset(name: DatasetName, base: number, queries: number): Dataset {
  const spec = DATASETS[name];
  const n = base > 0 ? base : spec.base;
  return subset(spec.load(n, queries), n, queries);
}

export const TRUTH_K = 100;

/** Exact 100 nearest neighbours of every query, cached on disk (.cache/). */
export function groundTruth(data: Dataset): Uint32Array {
  return cachedU32(
    `truth-${data.name}-${data.metric}-k${TRUTH_K}`,
    () =>
      exactNeighbours(
        data.base,
        data.baseCount,
        data.queries,
        data.queryCount,
        data.dim,
        TRUTH_K,
        data.metric,
      ).ids,
  );
}
