/**
 * A binary max-heap of (distance, id) pairs in parallel typed arrays: no object per entry, and
 * the arrays are reused across searches (they only grow). A min-heap is the same heap fed
 * negated distances, as hnswlib does for its candidate set.
 */
export class MaxHeap {
  dists: Float32Array;
  ids: Uint32Array;
  size = 0;

  constructor(capacity = 64) {
    this.dists = new Float32Array(capacity);
    this.ids = new Uint32Array(capacity);
  }

  clear(): void {
    this.size = 0;
  }

  /** The largest distance. */
  topDist(): number {
    return this.dists[0];
  }

  topId(): number {
    return this.ids[0];
  }

  /** JS heap bytes held. */
  bytes(): number {
    return this.dists.byteLength + this.ids.byteLength;
  }

  private grow(): void {
    const dists = new Float32Array(this.dists.length * 2);
    const ids = new Uint32Array(this.ids.length * 2);
    dists.set(this.dists);
    ids.set(this.ids);
    this.dists = dists;
    this.ids = ids;
  }

  push(dist: number, id: number): void {
    if (this.size === this.dists.length) this.grow();
    const dists = this.dists;
    const ids = this.ids;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (dists[parent] >= dist) break;
      dists[i] = dists[parent];
      ids[i] = ids[parent];
      i = parent;
    }
    dists[i] = dist;
    ids[i] = id;
  }

  /** Replaces the top with (dist, id) in one sift-down: a pop and a push for a full heap. */
  replaceTop(dist: number, id: number): void {
    const dists = this.dists;
    const ids = this.ids;
    const n = this.size;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && dists[child + 1] > dists[child]) child++;
      if (dists[child] <= dist) break;
      dists[i] = dists[child];
      ids[i] = ids[child];
      i = child;
    }
    dists[i] = dist;
    ids[i] = id;
  }

  /** Removes the top. */
  pop(): void {
    const n = --this.size;
    if (n > 0) this.replaceTop(this.dists[n], this.ids[n]);
  }

  /**
   * Empties the heap into `ids`/`dists` in ascending distance order and returns the count.
   * Keeps only the `limit` nearest when the heap holds more.
   */
  drainAscending(ids: Uint32Array, dists: Float32Array, limit = Infinity): number {
    while (this.size > limit) this.pop();
    const n = this.size;
    for (let i = n - 1; i >= 0; i--) {
      ids[i] = this.ids[0];
      dists[i] = this.dists[0];
      this.pop();
    }
    return n;
  }
}
