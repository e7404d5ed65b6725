import { EngineError, EngineErrorCode, invalidConfig } from "../errors.js";
import { checkDimension } from "../vector-checks.js";

export interface ScalarQuantizerOptions {
  /** Bits per component; 8 is the supported value. */
  bits?: number;
  /**
   * Fraction of each dimension's calibration values kept inside the range: the range is
   * [quantile(1 - q), quantile(q)], so a few outliers do not stretch it. 1 keeps min and max.
   */
  quantile?: number;
}

export const SCALAR_DEFAULTS = { bits: 8, quantile: 0.9995 } as const;
export const SUPPORTED_SCALAR_BITS = [8] as const;
const LEVELS = 255;

/**
 * 8-bit scalar quantization with a range per dimension: x ~ lo[d] + step[d] * code, code in
 * [0, 255]; values outside the calibrated range are clamped.
 */
export class ScalarQuantizer {
  readonly lo: Float32Array;
  readonly step: Float32Array;
  private readonly invStep: Float32Array;

  constructor(
    readonly dim: number,
    lo: Float32Array,
    step: Float32Array,
  ) {
    checkDimension(dim);
    if (lo.length !== dim || step.length !== dim) {
      throw invalidConfig("scalar_quantizer", `ranges must have ${dim} entries`);
    }
    this.lo = lo;
    this.step = step;
    this.invStep = new Float32Array(dim);
    for (let d = 0; d < dim; d++) this.invStep[d] = step[d] > 0 ? 1 / step[d] : 0;
  }

  /**
   * Learns the per-dimension ranges from `count` sample vectors laid out row by row in `samples`.
   */
  static train(
    samples: Float32Array,
    count: number,
    dim: number,
    options: ScalarQuantizerOptions = {},
  ): ScalarQuantizer {
    checkDimension(dim);
    const bits = options.bits ?? SCALAR_DEFAULTS.bits;
    if (!(SUPPORTED_SCALAR_BITS as readonly number[]).includes(bits)) {
      throw invalidConfig("bits", `supported values are ${SUPPORTED_SCALAR_BITS.join(", ")}`, bits);
    }
    const quantile = options.quantile ?? SCALAR_DEFAULTS.quantile;
    if (!(quantile > 0.5 && quantile <= 1)) {
      throw invalidConfig("quantile", "must be in (0.5, 1]", quantile);
    }
    if (count < 1) {
      throw new EngineError(
        EngineErrorCode.EmptyTrainingSet,
        "scalar quantizer: calibration needs at least one vector",
        { field: "calibration_samples", count },
      );
    }
    if (samples.length < count * dim) {
      throw invalidConfig("samples", `expected ${count * dim} values, got ${samples.length}`);
    }
    const lo = new Float32Array(dim);
    const step = new Float32Array(dim);
    const column = new Float32Array(count);
    const loRank = Math.floor((1 - quantile) * (count - 1));
    const hiRank = Math.ceil(quantile * (count - 1));
    for (let d = 0; d < dim; d++) {
      for (let i = 0; i < count; i++) column[i] = samples[i * dim + d];
      column.sort();
      const a = column[loRank];
      const b = column[hiRank];
      lo[d] = a;
      step[d] = b > a ? (b - a) / LEVELS : 0;
    }
    return new ScalarQuantizer(dim, lo, step);
  }

  /**
   * Writes the codes of `v` at `out[offset..offset+dim)` and returns sum_d (step[d] * code[d])^2,
   * the per-record term of the L2 expansion (see ScalarStore).
   */
  encode(v: Float32Array, out: Uint8Array, offset = 0): number {
    const { lo, invStep, step, dim } = this;
    let term = 0;
    for (let d = 0; d < dim; d++) {
      let c = Math.round((v[d] - lo[d]) * invStep[d]);
      c = c < 0 ? 0 : c > LEVELS ? LEVELS : c;
      out[offset + d] = c;
      const y = step[d] * c;
      term += y * y;
    }
    return term;
  }

  /** |reconstruction| of `codes[offset..offset+dim)`. */
  reconstructionNorm(codes: Uint8Array, offset = 0): number {
    let s = 0;
    for (let d = 0; d < this.dim; d++) {
      const x = this.lo[d] + this.step[d] * codes[offset + d];
      s += x * x;
    }
    return Math.sqrt(s);
  }

  decode(codes: Uint8Array, out: Float32Array, offset = 0): void {
    for (let d = 0; d < this.dim; d++) out[d] = this.lo[d] + this.step[d] * codes[offset + d];
  }

  /** lo then step, float32 little-endian. */
  serialize(): Uint8Array {
    const out = new Float32Array(this.dim * 2);
    out.set(this.lo, 0);
    out.set(this.step, this.dim);
    return new Uint8Array(out.buffer);
  }

  static deserialize(bytes: Uint8Array, dim: number): ScalarQuantizer {
    if (bytes.byteLength !== dim * 8) {
      throw new EngineError(
        EngineErrorCode.InvalidSnapshot,
        "scalar quantizer parameters are truncated",
        {
          expected: dim * 8,
          actual: bytes.byteLength,
        },
      );
    }
    const f = new Float32Array(bytes.slice().buffer);
    return new ScalarQuantizer(dim, f.slice(0, dim), f.slice(dim, 2 * dim));
  }
}
