import type { Metric } from "../metric.js";
import { CODEBOOK_SLOTS, POINT_SCALE } from "../quantization/kmeans.js";
import type { ProductQuantizer } from "../quantization/product-quantizer.js";
import type { Region, RegionSet } from "../workspace/region.js";
import { writePadded } from "./f32-store.js";
import { ArenaStore, type VectorStore } from "./vector-store.js";

/**
 * PQ codes, one byte per subvector, scored asymmetrically: the float32 query against the codes,
 * through a lookup table of the query's distance to every centroid (built once per query, in the
 * memory's shared scratch). For cosine a record starts with 1 / |reconstruction| so that scores
 * are true cosines of the reconstruction (which is not of unit length). The codebooks, in the
 * kernels' layout, are the index's own parameter region.
 */
export class ProductStore extends ArenaStore implements VectorStore {
  readonly kind = "product" as const;
  readonly floatDim: number;
  readonly recordBytes: number;
  private readonly m: number;
  private readonly dsub: number;
  /** cb[s][d][256] then cnorm[s][256]. */
  private readonly codebooks: Region;
  private readonly cnormAt: number;
  private lutPtr = 0;
  private readonly bias: number;
  private readonly cosine: boolean;
  /** Offset of the codes in a record: 4 when a cosine record starts with its term. */
  private readonly codesAt: number;

  constructor(
    readonly home: RegionSet,
    readonly dim: number,
    readonly metric: Metric,
    readonly quantizer: ProductQuantizer,
    capacity?: number,
  ) {
    super();
    this.m = quantizer.subvectors;
    this.dsub = quantizer.dsub;
    this.floatDim = Math.ceil(dim / 4) * 4;
    this.cosine = metric === "cosine";
    this.codesAt = this.cosine ? 4 : 0;
    // A cosine record's term is read as a float: keep records 4-byte aligned.
    this.recordBytes = this.cosine ? 4 + Math.ceil(this.m / 4) * 4 : this.m;
    this.cnormAt = dim * CODEBOOK_SLOTS * 4;
    this.codebooks = home.alloc(this.cnormAt + this.m * CODEBOOK_SLOTS * 4);
    const cb = this.codebooks.offset;
    quantizer.writeKernelLayout(home.mem, cb, cb + this.cnormAt);
    this.bias = metric === "cosine" ? 1 : 0;
    this.createArena(capacity);
  }

  set(id: number, vector: Float32Array): void {
    const mem = this.mem;
    const { m, dim } = this;
    // the encoding buffer: dim scaled floats, then m i32 indices and m f32 distances
    const encodePtr = mem.scratch.encode.fit((dim + 2 * m) * 4);
    const idxPtr = encodePtr + dim * 4;
    const f32 = mem.f32;
    const at0 = encodePtr >>> 2;
    for (let d = 0; d < dim; d++) f32[at0 + d] = vector[d] * POINT_SCALE;
    const cb = this.codebooks.offset;
    mem.kernels.nearest_centroid(
      encodePtr,
      this.dsub * 4,
      m,
      this.dsub,
      cb,
      this.dsub * CODEBOOK_SLOTS * 4,
      cb + this.cnormAt,
      CODEBOOK_SLOTS * 4,
      idxPtr,
      idxPtr + m * 4,
    );
    const at = this.recordOffset(id);
    const idx = mem.i32;
    const u8 = mem.u8;
    for (let s = 0; s < m; s++) u8[at + this.codesAt + s] = idx[(idxPtr >>> 2) + s];
    if (this.cosine) {
      mem.kernels.pq_decode(at + 4, m, this.dsub, cb, 1, encodePtr);
      let norm2 = 0;
      for (let d = 0; d < dim; d++) norm2 += f32[at0 + d] * f32[at0 + d];
      f32[at >>> 2] = norm2 > 0 ? 1 / Math.sqrt(norm2) : 0;
    }
  }

  setQuery(query: Float32Array): void {
    const mem = this.mem;
    const queryPtr = mem.scratch.query.fit(this.floatDim * 4);
    this.lutPtr = mem.scratch.lut.fit(this.m * CODEBOOK_SLOTS * 4);
    writePadded(mem.f32, queryPtr >>> 2, query, this.dim, this.floatDim);
    const cb = this.codebooks.offset;
    if (this.metric === "l2") mem.kernels.pq_lut_l2(queryPtr, cb, this.m, this.dsub, this.lutPtr);
    else mem.kernels.pq_lut_dot(queryPtr, cb, this.m, this.dsub, this.lutPtr);
  }

  score(idsPtr: number, n: number, outPtr: number): void {
    this.home.mem.kernels.pq_batch(
      this.lutPtr,
      idsPtr,
      n,
      this.arena.offset,
      this.recordBytes,
      this.m,
      this.bias,
      this.cosine ? 1 : 0,
      outPtr,
    );
  }

  floatOf(id: number, slotPtr: number): number {
    const mem = this.mem;
    const at = this.recordOffset(id);
    const scale = this.cosine ? mem.f32[at >>> 2] : 1;
    mem.kernels.pq_decode(
      at + this.codesAt,
      this.m,
      this.dsub,
      this.codebooks.offset,
      scale,
      slotPtr,
    );
    // the slot is shared scratch: clear the padding the float32 kernels read
    const f32 = mem.f32;
    for (let d = this.dim; d < this.floatDim; d++) f32[(slotPtr >>> 2) + d] = 0;
    return slotPtr;
  }

  read(id: number, out: Float32Array): void {
    const mem = this.mem;
    const at = this.recordOffset(id);
    this.quantizer.decode(mem.u8, out, at + this.codesAt);
    if (this.cosine) {
      const scale = mem.f32[at >>> 2];
      for (let d = 0; d < this.dim; d++) out[d] *= scale;
    }
  }

  /** The codebooks in the kernels' layout (Wasm) and the quantizer's own centroids (JS). */
  parameterBytes(): number {
    return this.codebooks.blockBytes + this.quantizer.centroids.byteLength;
  }

  parameters(): Uint8Array {
    return this.quantizer.serialize();
  }
}
