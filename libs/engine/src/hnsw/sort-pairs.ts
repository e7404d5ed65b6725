/** Sorts (ids, dists)[0..n) by ascending distance (short lists: insertion sort). */
export function sortPairs(ids: Uint32Array, dists: Float32Array, n: number): void {
  if (n > 64) {
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => dists[a] - dists[b]);
    const sortedIds = order.map((i) => ids[i]);
    const sortedDists = order.map((i) => dists[i]);
    ids.set(sortedIds);
    dists.set(sortedDists);
    return;
  }
  for (let i = 1; i < n; i++) {
    const id = ids[i];
    const d = dists[i];
    let j = i - 1;
    while (j >= 0 && dists[j] > d) {
      ids[j + 1] = ids[j];
      dists[j + 1] = dists[j];
      j--;
    }
    ids[j + 1] = id;
    dists[j + 1] = d;
  }
}
