import type { KernelMemory } from "../kernels/kernel-memory.js";
import type { Metric } from "../metric.js";
import { ArenaStore, type VectorStore } from "./vector-store.js";

/** Float32 vectors, zero-padded to a multiple of 4 components: exact distances. */
export class F32Store extends ArenaStore implements VectorStore {
  readonly kind = "f32" as const;
  readonly floatDim: number;
  readonly recordBytes: number;
  private readonly queryPtr: number;

  constructor(
    protected readonly memory: KernelMemory,
    readonly dim: number,
    readonly metric: Metric,
  ) {
    super();
    this.floatDim = Math.ceil(dim / 4) * 4;
    this.recordBytes = this.floatDim * 4;
    this.queryPtr = memory.alloc(this.recordBytes);
  }

  get mem(): KernelMemory {
    return this.memory;
  }

  set(id: number, vector: Float32Array): void {
    const at = this.recordOffset(id) >> 2;
    const f32 = this.memory.f32;
    f32.set(vector.subarray(0, this.dim), at);
    f32.fill(0, at + this.dim, at + this.floatDim);
  }

  setQuery(query: Float32Array): void {
    this.memory.f32.set(query.subarray(0, this.dim), this.queryPtr >> 2);
  }

  score(idsPtr: number, n: number, outPtr: number): void {
    const k = this.memory.kernels;
    if (this.metric === "l2") {
      k.l2_f32_batch(this.queryPtr, idsPtr, n, this.base, this.recordBytes, this.floatDim, outPtr);
    } else {
      const bias = this.metric === "cosine" ? 1 : 0;
      k.dot_f32_batch(
        this.queryPtr,
        idsPtr,
        n,
        this.base,
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
    const at = this.recordOffset(id) >> 2;
    out.set(this.memory.f32.subarray(at, at + this.dim));
  }

  parameterBytes(): number {
    return 0;
  }

  parameters(): Uint8Array {
    return new Uint8Array(0);
  }
}
