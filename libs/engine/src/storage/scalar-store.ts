import type { Metric } from "../metric.js";
import type { ScalarQuantizer } from "../quantization/scalar-quantizer.js";
import type { Region, RegionSet } from "../workspace/region.js";
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
 * The weights live in the memory's shared scratch (written by setQuery, zero past dim); lo and
 * step (zero past dim, so decoded padding is zero) in the index's own parameter region.
 */
export class ScalarStore extends ArenaStore implements VectorStore {
  readonly kind = "scalar" as const;
  readonly dim16: number;
  readonly floatDim: number;
  readonly recordBytes: number;
  /** lo then step, dim16 floats each. */
  private readonly ranges: Region;
  private readonly maxWeight: number;
  private weightsPtr = 0;
  private c0 = 0;
  private ct = 0;
  private c1 = 0;
  private cq = 0;
  private readonly cosine: boolean;

  constructor(
    readonly home: RegionSet,
    readonly dim: number,
    readonly metric: Metric,
    readonly quantizer: ScalarQuantizer,
    capacity?: number,
  ) {
    super();
    this.dim16 = Math.ceil(dim / 16) * 16;
    this.floatDim = this.dim16;
    this.recordBytes = 4 + this.dim16;
    this.ranges = home.alloc(this.dim16 * 8);
    const at = this.ranges.offset >>> 2;
    home.mem.f32.set(quantizer.lo, at);
    home.mem.f32.set(quantizer.step, at + this.dim16);
    // Each i32 lane of u8_batch adds dim16/16 + 2 products of |a| * 255.
    this.maxWeight = Math.min(32_767, Math.floor(2 ** 31 / (255 * (this.dim16 / 16 + 2))));
    this.cosine = metric === "cosine";
    this.createArena(capacity);
  }

  set(id: number, vector: Float32Array): void {
    const codes = this.mem.scratch.codes(this.dim16);
    const stepTerm = this.quantizer.encode(vector, codes);
    for (let d = this.dim; d < this.dim16; d++) codes[d] = 0;
    let term = 0;
    if (this.metric === "l2") term = stepTerm;
    else if (this.cosine) {
      const norm = this.quantizer.reconstructionNorm(codes);
      term = norm > 0 ? 1 / norm : 0;
    }
    const mem = this.mem;
    const at = this.recordOffset(id);
    mem.f32[at >>> 2] = term;
    const u8 = mem.u8;
    for (let d = 0; d < this.dim16; d++) u8[at + 4 + d] = codes[d];
  }

  setQuery(query: Float32Array): void {
    const { lo, step } = this.quantizer;
    const mem = this.mem;
    const w = mem.scratch.weights64(this.dim);
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
    this.weightsPtr = mem.scratch.weights.fit(this.dim16 * 2);
    const i16 = mem.i16;
    const at = this.weightsPtr >>> 1;
    for (let d = 0; d < this.dim; d++) i16[at + d] = Math.round(w[d] * scale);
    for (let d = this.dim; d < this.dim16; d++) i16[at + d] = 0;
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
    this.home.mem.kernels.u8_batch(
      this.weightsPtr,
      idsPtr,
      n,
      this.arena.offset,
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
    const mem = this.mem;
    const at = this.recordOffset(id);
    const scale = this.cosine ? mem.f32[at >>> 2] : 1;
    const lo = this.ranges.offset;
    mem.kernels.u8_decode(at + 4, this.dim16, lo, lo + this.dim16 * 4, scale, slotPtr);
    return slotPtr;
  }

  read(id: number, out: Float32Array): void {
    const mem = this.mem;
    const at = this.recordOffset(id);
    this.quantizer.decode(mem.u8, out, at + 4);
    if (this.cosine) {
      const scale = mem.f32[at >>> 2];
      for (let d = 0; d < this.dim; d++) out[d] *= scale;
    }
  }

  /** The ranges in Wasm (lo, step) and the quantizer's own arrays (lo, step, 1/step). */
  parameterBytes(): number {
    return this.ranges.blockBytes + this.dim * 12;
  }

  parameters(): Uint8Array {
    return this.quantizer.serialize();
  }
}
