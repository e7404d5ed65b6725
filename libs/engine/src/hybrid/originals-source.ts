import { EngineError, EngineErrorCode } from "../errors.js";

/**
 * Where the hybrid index reads float32 originals to rerank candidates: RAM here, LMDB in a shard.
 */
export interface OriginalsSource {
  readonly dim: number;
  /**
   * Copies the original of `id` into `out[offset .. offset + dim)` and returns true, or returns
   * false when the source has no vector for `id`.
   */
  read(id: number, out: Float32Array, offset: number): boolean;
  /**
   * Batch form of `read` (optional: `readOriginals` falls back to `read`): copies the original of
   * ids[i] to out[offset + i * stride ..) and sets found[i] to 1, or to 0 when there is none
   * (that row is left as it was); returns how many were found. The hybrid rerank and the exact
   * scan read a chunk of rows this way, straight into kernel memory. It must not allocate in the
   * memory `out` views (the view would go stale).
   */
  readMany?(
    ids: ArrayLike<number>,
    n: number,
    out: Float32Array,
    offset: number,
    stride: number,
    found: Uint8Array,
  ): number;
  /** Bytes held in RAM (0 for a source that reads from disk without caching). */
  residentBytes(): number;
}

/** `source.readMany`, or a loop over `source.read` for a source without it. */
export function readOriginals(
  source: OriginalsSource,
  ids: ArrayLike<number>,
  n: number,
  out: Float32Array,
  offset: number,
  stride: number,
  found: Uint8Array,
): number {
  if (source.readMany !== undefined) return source.readMany(ids, n, out, offset, stride, found);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const ok = source.read(ids[i], out, offset + i * stride);
    found[i] = ok ? 1 : 0;
    if (ok) count++;
  }
  return count;
}

/** Originals in one growable Float32Array, for tests, benchmarks and embedded use. */
export class InMemoryOriginals implements OriginalsSource {
  private values: Float32Array;
  private present: Uint8Array;

  constructor(
    readonly dim: number,
    capacity = 1024,
  ) {
    this.values = new Float32Array(capacity * dim);
    this.present = new Uint8Array(capacity);
  }

  set(id: number, vector: ArrayLike<number>): void {
    if (vector.length !== this.dim) {
      throw new EngineError(
        EngineErrorCode.DimensionMismatch,
        `vector: expected ${this.dim} components, got ${vector.length}`,
        { expected: this.dim, actual: vector.length },
      );
    }
    if (id >= this.present.length) this.grow(Math.max(id + 1, this.present.length * 2));
    this.values.set(vector, id * this.dim);
    this.present[id] = 1;
  }

  delete(id: number): void {
    if (id < this.present.length) this.present[id] = 0;
  }

  read(id: number, out: Float32Array, offset: number): boolean {
    if (id >= this.present.length || this.present[id] === 0) return false;
    out.set(this.values.subarray(id * this.dim, (id + 1) * this.dim), offset);
    return true;
  }

  residentBytes(): number {
    return this.values.byteLength + this.present.byteLength;
  }

  private grow(capacity: number): void {
    const values = new Float32Array(capacity * this.dim);
    values.set(this.values);
    const present = new Uint8Array(capacity);
    present.set(this.present);
    this.values = values;
    this.present = present;
  }
}
