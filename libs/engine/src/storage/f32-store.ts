import type { Metric } from "../metric.js";
import type { RegionSet } from "../workspace/region.js";
import { ArenaStore, type VectorStore } from "./vector-store.js";

/** Float32 vectors, zero-padded to a multiple of 4 components: exact distances. */
export class F32Store extends ArenaStore implements VectorStore {
  readonly kind = "f32" as const;
  readonly floatDim: number;
  readonly recordBytes: number;
  /** The prepared query in the shared scratch (valid until the operation ends). */
  private queryPtr = 0;

  constructor(
    readonly home: RegionSet,
    readonly dim: number,
    readonly metric: Metric,
    capacity?: number,
  ) {
    super();
    this.floatDim = Math.ceil(dim / 4) * 4;
    this.recordBytes = this.floatDim * 4;
    this.createArena(capacity);
  }

  set(id: number, vector: Float32Array): void {
    writePadded(this.mem.f32, this.recordOffset(id) >>> 2, vector, this.dim, this.floatDim);
  }

  setQuery(query: Float32Array): void {
    const mem = this.mem;
    this.queryPtr = mem.scratch.query.fit(this.recordBytes);
    writePadded(mem.f32, this.queryPtr >>> 2, query, this.dim, this.floatDim);
  }

  score(idsPtr: number, n: number, outPtr: number): void {
    const k = this.home.mem.kernels;
    const base = this.arena.offset;
    if (this.metric === "l2") {
      k.l2_f32_batch(this.queryPtr, idsPtr, n, base, this.recordBytes, this.floatDim, outPtr);
    } else {
      const bias = this.metric === "cosine" ? 1 : 0;
      k.dot_f32_batch(
        this.queryPtr,
        idsPtr,
        n,
        base,
        this.recordBytes,
        this.floatDim,
        bias,
        outPtr,
      );
    }
  }

  floatOf(id: number): number {
    return this.recordOffset(id);
  }

  read(id: number, out: Float32Array): void {
    const at = this.recordOffset(id) >>> 2;
    const f32 = this.mem.f32;
    for (let d = 0; d < this.dim; d++) out[d] = f32[at + d];
  }

  parameterBytes(): number {
    return 0;
  }

  parameters(): Uint8Array {
    return new Uint8Array(0);
  }
}

/** Copies v[0..dim) to f32[at..) and zeroes the padding up to floatDim, without allocating. */
export function writePadded(
  f32: Float32Array,
  at: number,
  v: ArrayLike<number>,
  dim: number,
  floatDim: number,
): void {
  if (v instanceof Float32Array && v.length === dim) f32.set(v, at);
  else for (let d = 0; d < dim; d++) f32[at + d] = v[d];
  for (let d = dim; d < floatDim; d++) f32[at + d] = 0;
}
