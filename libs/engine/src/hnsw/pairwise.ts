import type { OriginalsSource } from "../hybrid/originals-source.js";
import type { Metric } from "../metric.js";
import type { VectorStore } from "../storage/vector-store.js";
import type { SearchScratch } from "./search-scratch.js";

/**
 * Distances between stored vectors for neighbour selection while the graph is built, on float32
 * forms: the records of a float32 store; for a quantized store, the float32 originals when a
 * source of them is given, else the decoded reconstructions.
 */
export class Pairwise {
  private readonly bias: number;
  /** Originals to read instead of decoding (quantized stores only). */
  readonly originals: OriginalsSource | undefined;

  constructor(
    private readonly store: VectorStore,
    private readonly metric: Metric,
    originals: OriginalsSource | undefined,
  ) {
    this.bias = metric === "cosine" ? 1 : 0;
    this.originals = store.kind === "f32" ? undefined : originals;
  }

  /** The shared scratch of the store's memory, fitted by the index at the operation's start. */
  private get scratch(): SearchScratch {
    return this.store.mem.scratch.search;
  }

  /** Offset of the float32 form of `id`, written into slot `slot` when the store needs it. */
  floatOf(id: number, slot: number): number {
    return this.floatInto(id, this.scratch.slot(slot));
  }

  /** Offset of the float32 form of `id` in the base slot. */
  baseOf(id: number): number {
    return this.floatInto(id, this.scratch.baseSlotPtr);
  }

  private floatInto(id: number, slotPtr: number): number {
    const originals = this.originals;
    const mem = this.store.mem;
    if (originals !== undefined && originals.read(id, mem.f32, slotPtr >>> 2)) {
      // the slot is shared scratch: clear the padding the float32 kernels read
      const f32 = mem.f32;
      for (let d = this.store.dim; d < this.store.floatDim; d++) f32[(slotPtr >>> 2) + d] = 0;
      if (this.metric === "cosine") mem.kernels.normalize_f32(slotPtr, this.store.floatDim);
      return slotPtr;
    }
    return this.store.floatOf(id, slotPtr);
  }

  /** out[offset + i] = distance(vector at `from`, vector at ptrs[i]) for i < n. */
  fromPointers(
    from: number,
    ptrs: ArrayLike<number>,
    n: number,
    out: Float32Array,
    offset = 0,
  ): void {
    const { mem, ptrsPtr, pairOutPtr } = this.scratch;
    const p0 = ptrsPtr >>> 2;
    for (let i = 0; i < n; i++) mem.u32[p0 + i] = ptrs[i];
    const dim = this.store.floatDim;
    if (this.metric === "l2") mem.kernels.l2_f32_batch(from, ptrsPtr, n, 0, 1, dim, pairOutPtr);
    else mem.kernels.dot_f32_batch(from, ptrsPtr, n, 0, 1, dim, this.bias, pairOutPtr);
    const f32 = mem.f32;
    const o0 = pairOutPtr >>> 2;
    for (let i = 0; i < n; i++) out[offset + i] = f32[o0 + i];
  }

  /** Whether any vector at ptrs[0..n) is closer than `limit` to the vector at `from`. */
  anyCloser(from: number, ptrs: ArrayLike<number>, n: number, limit: number): boolean {
    const { mem, ptrsPtr } = this.scratch;
    const p0 = ptrsPtr >>> 2;
    for (let i = 0; i < n; i++) mem.u32[p0 + i] = ptrs[i];
    const dot = this.metric === "l2" ? 0 : 1;
    return (
      mem.kernels.f32_first_closer(
        from,
        ptrsPtr,
        n,
        0,
        1,
        this.store.floatDim,
        dot,
        this.bias,
        limit,
      ) < n
    );
  }

  /**
   * out[i] = distance(vector at `from`, stored vector ids[i]) for i < n, in chunks of the
   * scratch's batch size (quantized stores decode each chunk into the slots, so `from` must not
   * live in them: use `baseOf`).
   */
  fromIds(from: number, ids: ArrayLike<number>, n: number, out: Float32Array): void {
    const s = this.scratch;
    const ptrs = s.candidatePtrs;
    // slots 0..chunk-1 hold a chunk's decoded vectors (a float32 store needs none)
    const chunk = this.store.kind === "f32" ? s.batchCapacity : s.slotCount;
    for (let start = 0; start < n; start += chunk) {
      const m = Math.min(chunk, n - start);
      for (let i = 0; i < m; i++) ptrs[i] = this.floatOf(ids[start + i], i);
      this.fromPointers(from, ptrs, m, out, start);
    }
  }
}

/**
 * hnswlib's getNeighborsByHeuristic2: walks candidates by increasing distance to the base and
 * keeps one unless it is closer to an already kept neighbour than to the base, which spreads the
 * links in all directions. Candidates are ids[0..count) with ascending dists; the kept ids go to
 * scratch.selected. Returns how many were kept (at most `limit`).
 */
export function selectNeighbors(
  pairwise: Pairwise,
  scratch: SearchScratch,
  ids: Uint32Array,
  dists: Float32Array,
  count: number,
  limit: number,
): number {
  const selected = scratch.selected;
  if (count <= limit) {
    for (let i = 0; i < count; i++) selected[i] = ids[i];
    return count;
  }
  const keptPtrs = scratch.selectedPtrs;
  let kept = 0;
  for (let i = 0; i < count && kept < limit; i++) {
    const id = ids[i];
    const ptr = pairwise.floatOf(id, kept);
    if (kept === 0 || !pairwise.anyCloser(ptr, keptPtrs, kept, dists[i])) {
      selected[kept] = id;
      keptPtrs[kept] = ptr;
      kept++;
    }
  }
  return kept;
}
