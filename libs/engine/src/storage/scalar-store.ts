import type { KernelMemory } from "../kernels/kernel-memory.js";
import type { Metric } from "../metric.js";
import type { ScalarQuantizer } from "../quantization/scalar-quantizer.js";
import { ArenaStore, type VectorStore } from "./vector-store.js";

/**
 * 8-bit codes, one byte per component, scored without decoding.
 *
 * A record is [f32 term][codes, zero-padded to dim16]. With x = lo + step * c and t = q - lo:
 *   l2:     |q - x|^2 = sum t^2 + sum (step c)^2 - 2 sum (step t) c   (term = sum (step c)^2)
 *   dot:    -<q, x>   = -sum q lo - sum (step q) c
 *   cosine: 1 - <q, x> / |x| = 1 - (sum q lo + sum (step q) c) * term  (term = 1 / |x|; q is unit)
 * so a query becomes weights a = step * t (or step * q) and constants, and the kernel computes
 * c0 + ct * term - c1 * <a, c> (or c0 - (cq + c1 * <a, c>) * term for cosine: the reconstruction
 * of a unit vector is not of unit length, and ignoring that costs recall). The weights are
 * rounded to i16 with a scale K chosen so that no i32 lane of the kernel overflows; c1 absorbs 1/K.
 */
export class ScalarStore extends ArenaStore implements VectorStore {
  readonly kind = "scalar" as const;
  readonly dim16: number;
  readonly floatDim: number;
  readonly recordBytes: number;
  private readonly weightsPtr: number;
  private readonly loPtr: number;
  private readonly stepPtr: number;
  private readonly maxWeight: number;
  private readonly weights: Float64Array;
  private readonly codes: Uint8Array;
  private c0 = 0;
  private ct = 0;
  private c1 = 0;
  private cq = 0;
  private readonly cosine: boolean;

  constructor(
    protected readonly memory: KernelMemory,
    readonly dim: number,
    readonly metric: Metric,
    readonly quantizer: ScalarQuantizer,
  ) {
    super();
    this.dim16 = Math.ceil(dim / 16) * 16;
    this.floatDim = this.dim16;
    this.recordBytes = 4 + this.dim16;
    this.weightsPtr = memory.alloc(this.dim16 * 2);
    this.loPtr = memory.alloc(this.dim16 * 4);
    this.stepPtr = memory.alloc(this.dim16 * 4);
    memory.f32.set(quantizer.lo, this.loPtr >> 2);
    memory.f32.set(quantizer.step, this.stepPtr >> 2);
    // Each i32 lane of u8_batch adds dim16/16 + 2 products of |a| * 255.
    this.maxWeight = Math.min(32_767, Math.floor(2 ** 31 / (255 * (this.dim16 / 16 + 2))));
    this.weights = new Float64Array(dim);
    this.codes = new Uint8Array(this.dim16);
    this.cosine = metric === "cosine";
  }

  get mem(): KernelMemory {
    return this.memory;
  }

  set(id: number, vector: Float32Array): void {
    const stepTerm = this.quantizer.encode(vector, this.codes);
    const at = this.recordOffset(id);
    let term = 0;
    if (this.metric === "l2") term = stepTerm;
    else if (this.cosine) {
      const norm = this.quantizer.reconstructionNorm(this.codes);
      term = norm > 0 ? 1 / norm : 0;
    }
    this.memory.f32[at >> 2] = term;
    this.memory.u8.set(this.codes, at + 4);
  }

  setQuery(query: Float32Array): void {
    const { lo, step } = this.quantizer;
    const w = this.weights;
    let constant = 0;
    let maxAbs = 0;
    if (this.metric === "l2") {
      for (let d = 0; d < this.dim; d++) {
        const t = query[d] - lo[d];
        constant += t * t;
        w[d] = step[d] * t;
      }
    } else {
      for (let d = 0; d < this.dim; d++) {
        constant -= query[d] * lo[d];
        w[d] = step[d] * query[d];
      }
    }
    for (let d = 0; d < this.dim; d++) {
      const a = w[d] < 0 ? -w[d] : w[d];
      if (a > maxAbs) maxAbs = a;
    }
    const scale = maxAbs > 0 ? this.maxWeight / maxAbs : 1;
    const i16 = this.memory.i16;
    const at = this.weightsPtr >> 1;
    for (let d = 0; d < this.dim; d++) i16[at + d] = Math.round(w[d] * scale);
    if (this.metric === "l2") {
      this.c0 = constant;
      this.ct = 1;
      this.c1 = 2 / scale;
    } else if (this.cosine) {
      this.c0 = 1;
      this.cq = -constant;
      this.c1 = 1 / scale;
    } else {
      this.c0 = constant;
      this.ct = 0;
      this.c1 = 1 / scale;
    }
  }

  score(idsPtr: number, n: number, outPtr: number): void {
    this.memory.kernels.u8_batch(
      this.weightsPtr,
      idsPtr,
      n,
      this.base,
      this.recordBytes,
      this.dim16,
      this.c0,
      this.ct,
      this.c1,
      this.cq,
      this.cosine ? 1 : 0,
      outPtr,
    );
  }

  floatOf(id: number, slotPtr: number): number {
    const at = this.recordOffset(id);
    const scale = this.cosine ? this.memory.f32[at >> 2] : 1;
    this.memory.kernels.u8_decode(at + 4, this.dim16, this.loPtr, this.stepPtr, scale, slotPtr);
    return slotPtr;
  }

  read(id: number, out: Float32Array): void {
    const at = this.recordOffset(id);
    this.quantizer.decode(this.memory.u8, out, at + 4);
    if (this.cosine) {
      const scale = this.memory.f32[at >> 2];
      for (let d = 0; d < this.dim; d++) out[d] *= scale;
    }
  }

  parameterBytes(): number {
    return this.dim16 * 10;
  }

  parameters(): Uint8Array {
    return this.quantizer.serialize();
  }
}
