import type { Metric } from "../metric.js";
import { Rng } from "../random.js";

/** Plain-JS reference distances (float64) that the kernels are checked against. */
export function referenceDistance(
  metric: Metric,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
): number {
  let dot = 0;
  let l2 = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    l2 += (a[i] - b[i]) ** 2;
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  if (metric === "l2") return l2;
  if (metric === "dot") return -dot;
  return na > 0 && nb > 0 ? 1 - dot / Math.sqrt(na * nb) : 1;
}

/** `count` seeded random vectors of `dim` components, uniform in [-scale, scale). */
export function randomVectors(count: number, dim: number, seed: number, scale = 1): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(count * dim);
  for (let i = 0; i < out.length; i++) out[i] = (rng.next() * 2 - 1) * scale;
  return out;
}

/** Exact k nearest ids by the reference distance. */
export function referenceKnn(
  metric: Metric,
  base: Float32Array,
  dim: number,
  query: ArrayLike<number>,
  k: number,
  accept: (id: number) => boolean = () => true,
): number[] {
  const scored: { id: number; d: number }[] = [];
  for (let id = 0; id * dim < base.length; id++) {
    if (accept(id))
      scored.push({
        id,
        d: referenceDistance(metric, query, base.subarray(id * dim, (id + 1) * dim)),
      });
  }
  return scored
    .sort((x, y) => x.d - y.d)
    .slice(0, k)
    .map((s) => s.id);
}

export function vectorOf(matrix: Float32Array, dim: number, i: number): Float32Array {
  return matrix.subarray(i * dim, (i + 1) * dim);
}
