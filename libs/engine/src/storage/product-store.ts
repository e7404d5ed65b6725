import type { KernelMemory } from "../kernels/kernel-memory.js";
import type { Metric } from "../metric.js";
import { CODEBOOK_SLOTS, POINT_SCALE } from "../quantization/kmeans.js";
import type { ProductQuantizer } from "../quantization/product-quantizer.js";
import { ArenaStore, type VectorStore } from "./vector-store.js";

/**
 * PQ codes, one byte per subvector, scored asymmetrically: the float32 query against the codes,
 * through a lookup table of the query's distance to every centroid (built once per query).
 * For cosine a record starts with 1 / |reconstruction| so that scores are true cosines of the
 * reconstruction (which is not of unit length).
 */
export class ProductStore extends ArenaStore implements VectorStore {
  readonly kind = "product" as const;
  readonly floatDim: number;
  readonly recordBytes: number;
  private readonly m: number;
  private readonly dsub: number;
  private readonly cbPtr: number;
  private readonly cnormPtr: number;
  private readonly queryPtr: number;
  private readonly lutPtr: number;
  private readonly encodePtr: number;
  private readonly encodeIdxPtr: number;
  private readonly encodeDistPtr: number;
  private readonly bias: number;
  private readonly cosine: boolean;
  /** Offset of the codes in a record: 4 when a cosine record starts with its term. */
  private readonly codesAt: number;

  constructor(
    protected readonly memory: KernelMemory,
    readonly dim: number,
    readonly metric: Metric,
    readonly quantizer: ProductQuantizer,
  ) {
    super();
    this.m = quantizer.subvectors;
    this.dsub = quantizer.dsub;
    this.floatDim = Math.ceil(dim / 4) * 4;
    this.cosine = metric === "cosine";
    this.codesAt = this.cosine ? 4 : 0;
    // A cosine record's term is read as a float: keep records 4-byte aligned.
    this.recordBytes = this.cosine ? 4 + Math.ceil(this.m / 4) * 4 : this.m;
    this.cbPtr = memory.alloc(dim * CODEBOOK_SLOTS * 4);
    this.cnormPtr = memory.alloc(this.m * CODEBOOK_SLOTS * 4);
    this.queryPtr = memory.alloc(this.floatDim * 4);
    this.lutPtr = memory.alloc(this.m * CODEBOOK_SLOTS * 4);
    this.encodePtr = memory.alloc(dim * 4);
    this.encodeIdxPtr = memory.alloc(this.m * 4);
    this.encodeDistPtr = memory.alloc(this.m * 4);
    quantizer.writeKernelLayout(memory, this.cbPtr, this.cnormPtr);
    this.bias = metric === "cosine" ? 1 : 0;
  }

  get mem(): KernelMemory {
    return this.memory;
  }

  set(id: number, vector: Float32Array): void {
    const mem = this.memory;
    const f32 = mem.f32;
    const at0 = this.encodePtr >> 2;
    for (let d = 0; d < this.dim; d++) f32[at0 + d] = vector[d] * POINT_SCALE;
    mem.kernels.nearest_centroid(
      this.encodePtr,
      this.dsub * 4,
      this.m,
      this.dsub,
      this.cbPtr,
      this.dsub * CODEBOOK_SLOTS * 4,
      this.cnormPtr,
      CODEBOOK_SLOTS * 4,
      this.encodeIdxPtr,
      this.encodeDistPtr,
    );
    const at = this.recordOffset(id);
    const idx = mem.i32;
    const u8 = mem.u8;
    for (let s = 0; s < this.m; s++) u8[at + this.codesAt + s] = idx[(this.encodeIdxPtr >> 2) + s];
    if (this.cosine) {
      mem.kernels.pq_decode(at + 4, this.m, this.dsub, this.cbPtr, 1, this.encodePtr);
      let norm2 = 0;
      for (let d = 0; d < this.dim; d++) norm2 += f32[at0 + d] * f32[at0 + d];
      f32[at >> 2] = norm2 > 0 ? 1 / Math.sqrt(norm2) : 0;
    }
  }

  setQuery(query: Float32Array): void {
    const mem = this.memory;
    mem.f32.set(query.subarray(0, this.dim), this.queryPtr >> 2);
    if (this.metric === "l2") {
      mem.kernels.pq_lut_l2(this.queryPtr, this.cbPtr, this.m, this.dsub, this.lutPtr);
    } else {
      mem.kernels.pq_lut_dot(this.queryPtr, this.cbPtr, this.m, this.dsub, this.lutPtr);
    }
  }

  score(idsPtr: number, n: number, outPtr: number): void {
    this.memory.kernels.pq_batch(
      this.lutPtr,
      idsPtr,
      n,
      this.base,
      this.recordBytes,
      this.m,
      this.bias,
      this.cosine ? 1 : 0,
      outPtr,
    );
  }

  floatOf(id: number, slotPtr: number): number {
    const at = this.recordOffset(id);
    const scale = this.cosine ? this.memory.f32[at >> 2] : 1;
    this.memory.kernels.pq_decode(at + this.codesAt, this.m, this.dsub, this.cbPtr, scale, slotPtr);
    return slotPtr;
  }

  read(id: number, out: Float32Array): void {
    const at = this.recordOffset(id);
    this.quantizer.decode(this.memory.u8, out, at + this.codesAt);
    if (this.cosine) {
      const scale = this.memory.f32[at >> 2];
      for (let d = 0; d < this.dim; d++) out[d] *= scale;
    }
  }

  parameterBytes(): number {
    return this.quantizer.kernelLayoutBytes();
  }

  parameters(): Uint8Array {
    return this.quantizer.serialize();
  }
}
