import { MaxHeap } from "./heaps.js";

/**
 * Sorts (ids, dists)[0..n) by ascending distance and keeps the nearest `keep`; returns how many
 * are kept. Short lists: insertion sort; long ones go through `heap` (no comparator calls, no
 * allocation).
 */
export function sortPairs(
  ids: Uint32Array,
  dists: Float32Array,
  n: number,
  heap: MaxHeap,
  keep = n,
): number {
  if (n > 32) {
    heap.clear();
    for (let i = 0; i < n; i++) {
      if (heap.size < keep) heap.push(dists[i], ids[i]);
      else if (dists[i] < heap.topDist()) heap.replaceTop(dists[i], ids[i]);
    }
    return heap.drainAscending(ids, dists);
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
  return Math.min(n, keep);
}
