/**
 * Mean recall@k: for each query, the fraction of its true k nearest neighbours (row q of
 * `truth`, `truthStride` ids per row) found among the first k ids it returned.
 */
export function recallAtK(
  found: ArrayLike<ArrayLike<number>>,
  truth: Uint32Array,
  truthStride: number,
  k: number,
): number {
  if (k > truthStride)
    throw new RangeError(`recall@${k} needs at least ${k} true neighbours per query`);
  if (found.length === 0) return 0;
  let hits = 0;
  for (let q = 0; q < found.length; q++) {
    const row = found[q];
    const limit = Math.min(k, row.length);
    const t0 = q * truthStride;
    for (let i = 0; i < limit; i++) {
      const id = row[i];
      for (let j = 0; j < k; j++) {
        if (truth[t0 + j] === id) {
          hits++;
          break;
        }
      }
    }
  }
  return hits / (found.length * k);
}
