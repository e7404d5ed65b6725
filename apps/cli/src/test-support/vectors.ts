import { Rng } from "@quiver/engine";

/** Seeded vectors with components in [-1, 1), row by row. */
export function randomVectors(count: number, dim: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(count * dim);
  for (let i = 0; i < out.length; i++) out[i] = rng.next() * 2 - 1;
  return out;
}

/** Indexes of the k rows closest to `query` (squared l2) among those `keep` admits. */
export function exactTopK(
  data: Float32Array,
  dim: number,
  query: ArrayLike<number>,
  k: number,
  keep: (i: number) => boolean = () => true,
): number[] {
  const scored: [number, number][] = [];
  for (let i = 0; i < data.length / dim; i++) {
    if (!keep(i)) continue;
    let d = 0;
    for (let j = 0; j < dim; j++) {
      const x = data[i * dim + j] - query[j];
      d += x * x;
    }
    scored.push([d, i]);
  }
  scored.sort((a, b) => a[0] - b[0] || (`v${a[1]}` < `v${b[1]}` ? -1 : 1));
  return scored.slice(0, k).map(([, i]) => i);
}
