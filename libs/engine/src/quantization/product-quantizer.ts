import { EngineError, EngineErrorCode, invalidConfig } from "../errors.js";
import { KernelMemory } from "../kernels/kernel-memory.js";
import { Rng } from "../random.js";
import { checkDimension } from "../vector-checks.js";
import {
  allocKMeansScratch,
  CODEBOOK_SLOTS,
  kMeans,
  POINT_SCALE,
  writeCodebook,
} from "./kmeans.js";

export interface ProductQuantizerOptions {
  /** Number of subvectors m; must divide the dimension. Default dim / 8 (or the largest divisor). */
  subvectors?: number;
  /** Centroids per subvector, at most 256 (one byte per code). */
  codebookSize?: number;
  maxIterations?: number;
  seed?: number;
}

export const PRODUCT_DEFAULTS = {
  codebookSize: 256,
  maxIterations: 10,
  tolerance: 1e-3,
  seedSample: 4096,
  seed: 1,
} as const;

/** Default m: one subvector per 8 components, or the nearest divisor of dim that is not larger. */
export function defaultSubvectors(dim: number): number {
  for (let m = Math.max(1, Math.floor(dim / 8)); m > 1; m--) if (dim % m === 0) return m;
  return 1;
}

export function checkSubvectors(dim: number, subvectors: unknown): number {
  if (typeof subvectors !== "number" || !Number.isInteger(subvectors) || subvectors < 1) {
    throw invalidConfig("subvectors", "must be a positive integer", subvectors);
  }
  if (dim % subvectors !== 0) {
    throw invalidConfig(
      "subvectors",
      `${subvectors} does not divide the dimension ${dim}`,
      subvectors,
    );
  }
  return subvectors;
}

export function checkCodebookSize(size: unknown): number {
  if (typeof size !== "number" || !Number.isInteger(size) || size < 2 || size > CODEBOOK_SLOTS) {
    throw invalidConfig("codebook_size", `must be an integer in [2, ${CODEBOOK_SLOTS}]`, size);
  }
  return size;
}

/**
 * Product quantization: the vector is cut into m subvectors of dsub components and each is
 * replaced by the index of its nearest centroid in that subvector's codebook (one byte).
 */
export class ProductQuantizer {
  readonly dsub: number;

  constructor(
    readonly dim: number,
    readonly subvectors: number,
    /** Centroids actually trained per subvector (<= codebook size when samples were few). */
    readonly centroidCount: number,
    /** m * centroidCount * dsub floats: codebook s, centroid j, component d. */
    readonly centroids: Float32Array,
  ) {
    checkDimension(dim);
    checkSubvectors(dim, subvectors);
    this.dsub = dim / subvectors;
    if (centroids.length !== subvectors * centroidCount * this.dsub) {
      throw invalidConfig("product_quantizer", "codebooks do not match the dimension");
    }
  }

  static train(
    samples: Float32Array,
    count: number,
    dim: number,
    options: ProductQuantizerOptions = {},
  ): ProductQuantizer {
    checkDimension(dim);
    const m = checkSubvectors(dim, options.subvectors ?? defaultSubvectors(dim));
    const k = checkCodebookSize(options.codebookSize ?? PRODUCT_DEFAULTS.codebookSize);
    if (count < 1) {
      throw new EngineError(
        EngineErrorCode.EmptyTrainingSet,
        "product quantizer: training needs at least one vector",
        { field: "training_samples", count },
      );
    }
    if (samples.length < count * dim) {
      throw invalidConfig("samples", `expected ${count * dim} values, got ${samples.length}`);
    }
    const dsub = dim / m;
    const mem = new KernelMemory();
    const pointsPtr = mem.alloc(count * dim * 4);
    const points = mem.f32.subarray(pointsPtr >>> 2, (pointsPtr >>> 2) + count * dim);
    for (let i = 0; i < points.length; i++) points[i] = samples[i] * POINT_SCALE;
    const scratch = allocKMeansScratch(mem, count, dsub, PRODUCT_DEFAULTS.seedSample);
    const rng = new Rng(options.seed ?? PRODUCT_DEFAULTS.seed);
    const kEff = Math.min(k, count);
    const centroids = new Float32Array(m * kEff * dsub);
    for (let s = 0; s < m; s++) {
      const result = kMeans(
        { mem, ptr: pointsPtr + s * dsub * 4, strideBytes: dim * 4, count, dsub },
        scratch,
        {
          k: kEff,
          maxIterations: options.maxIterations ?? PRODUCT_DEFAULTS.maxIterations,
          tolerance: PRODUCT_DEFAULTS.tolerance,
          seedSample: PRODUCT_DEFAULTS.seedSample,
          rng,
        },
      );
      centroids.set(result.centroids, s * kEff * dsub);
    }
    return new ProductQuantizer(dim, m, kEff, centroids);
  }

  /** Writes all codebooks in the kernels' layout: cb[s][d][256] and cnorm[s][256]. */
  writeKernelLayout(mem: KernelMemory, cbPtr: number, cnormPtr: number): void {
    const { subvectors: m, centroidCount: k, dsub } = this;
    for (let s = 0; s < m; s++) {
      writeCodebook(
        mem,
        this.centroids.subarray(s * k * dsub, (s + 1) * k * dsub),
        k,
        dsub,
        cbPtr + s * dsub * CODEBOOK_SLOTS * 4,
        cnormPtr + s * CODEBOOK_SLOTS * 4,
      );
    }
  }

  /** Bytes of the kernels' layout of the codebooks. */
  kernelLayoutBytes(): number {
    return (this.dim + this.subvectors) * CODEBOOK_SLOTS * 4;
  }

  /** Reconstruction of `codes` (m bytes at `offset`). */
  decode(codes: Uint8Array, out: Float32Array, offset = 0): void {
    const { subvectors: m, centroidCount: k, dsub } = this;
    for (let s = 0; s < m; s++) {
      const c = (s * k + codes[offset + s]) * dsub;
      for (let d = 0; d < dsub; d++) out[s * dsub + d] = this.centroids[c + d];
    }
  }

  /** Header (m, centroid count) then the centroids, little-endian. */
  serialize(): Uint8Array {
    const out = new Uint8Array(8 + this.centroids.byteLength);
    const view = new DataView(out.buffer);
    view.setUint32(0, this.subvectors, true);
    view.setUint32(4, this.centroidCount, true);
    out.set(
      new Uint8Array(this.centroids.buffer, this.centroids.byteOffset, this.centroids.byteLength),
      8,
    );
    return out;
  }

  static deserialize(bytes: Uint8Array, dim: number): ProductQuantizer {
    const truncated = (): EngineError =>
      new EngineError(
        EngineErrorCode.InvalidSnapshot,
        "product quantizer parameters are truncated",
      );
    if (bytes.byteLength < 8) throw truncated();
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const m = view.getUint32(0, true);
    const k = view.getUint32(4, true);
    if (m < 1 || dim % m !== 0 || k < 1 || k > CODEBOOK_SLOTS) {
      throw new EngineError(
        EngineErrorCode.InvalidSnapshot,
        "product quantizer parameters are invalid",
        { m, k },
      );
    }
    const expected = 8 + m * k * (dim / m) * 4;
    if (bytes.byteLength !== expected) throw truncated();
    const centroids = new Float32Array(bytes.slice(8).buffer);
    return new ProductQuantizer(dim, m, k, centroids);
  }
}
