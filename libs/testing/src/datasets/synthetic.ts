import type { Dataset } from "./dataset.js";

export interface ClusteredOptions {
  baseCount: number;
  queryCount: number;
  dim: number;
  /** Gaussian clusters (default 64). */
  clusters?: number;
  /** Standard deviation of points around their cluster centre, relative to the centres' (default 0.5). */
  spread?: number;
  seed?: number;
  /**
   * Anisotropic variant, where quantization is not free: per-dimension scales spread
   * log-uniformly over 100x, and a few outlier components (1 in 2,000, 20x their scale).
   */
  anisotropic?: boolean;
}

/** A seeded mixture of Gaussian clusters; queries are drawn from the same mixture. */
export function clusteredGaussian(options: ClusteredOptions): Dataset {
  const { baseCount, queryCount, dim } = options;
  const clusters = options.clusters ?? 64;
  const spread = options.spread ?? 0.5;
  const random = mulberry32(options.seed ?? 42);
  const gauss = (): number => {
    let u = 0;
    while (u === 0) u = random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  const scales = new Float32Array(dim).fill(1);
  if (options.anisotropic) for (let d = 0; d < dim; d++) scales[d] = 10 ** (2 * random() - 1);
  const centres = new Float32Array(clusters * dim);
  for (let i = 0; i < centres.length; i++) centres[i] = gauss();
  const draw = (count: number): Float32Array => {
    const out = new Float32Array(count * dim);
    for (let i = 0; i < count; i++) {
      const c = Math.floor(random() * clusters) * dim;
      for (let d = 0; d < dim; d++) {
        let x = (centres[c + d] + spread * gauss()) * scales[d];
        if (options.anisotropic && random() < 0.0005) x *= 20;
        out[i * dim + d] = x;
      }
    }
    return out;
  };
  const name = `${options.anisotropic ? "anisotropic" : "clustered"}-${dim}d`;
  return {
    name,
    dim,
    metric: "l2",
    base: draw(baseCount),
    baseCount,
    queries: draw(queryCount),
    queryCount,
  };
}

/** mulberry32: a small seeded generator, enough for test data. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
