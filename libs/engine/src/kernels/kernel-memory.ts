import { EngineError, EngineErrorCode } from "../errors.js";
import { kernelsWasmBase64 } from "./generated/kernels-wasm.js";

/** The functions of the kernels module (see the .wat fragments beside this file). */
export interface KernelExports {
  touch(ids: number, n: number, base: number, stride: number, bytes: number): void;
  l2_f32_batch(
    q: number,
    ids: number,
    n: number,
    base: number,
    stride: number,
    dim: number,
    out: number,
  ): void;
  dot_f32_batch(
    q: number,
    ids: number,
    n: number,
    base: number,
    stride: number,
    dim: number,
    bias: number,
    out: number,
  ): void;
  f32_first_closer(
    q: number,
    ids: number,
    n: number,
    base: number,
    stride: number,
    dim: number,
    dot: number,
    bias: number,
    limit: number,
  ): number;
  normalize_f32(p: number, dim: number): void;
  cosine_f32_batch(
    q: number,
    ids: number,
    n: number,
    base: number,
    stride: number,
    dim: number,
    out: number,
  ): void;
  u8_batch(
    a: number,
    ids: number,
    n: number,
    base: number,
    stride: number,
    dim16: number,
    c0: number,
    ct: number,
    c1: number,
    cq: number,
    scaled: number,
    out: number,
  ): void;
  u8_decode(
    codes: number,
    dim16: number,
    lo: number,
    step: number,
    scale: number,
    out: number,
  ): void;
  pq_lut_l2(q: number, cb: number, m: number, dsub: number, lut: number): void;
  pq_lut_dot(q: number, cb: number, m: number, dsub: number, lut: number): void;
  pq_batch(
    lut: number,
    ids: number,
    n: number,
    base: number,
    stride: number,
    m: number,
    c0: number,
    scaled: number,
    out: number,
  ): void;
  pq_decode(codes: number, m: number, dsub: number, cb: number, scale: number, out: number): void;
  kmeanspp_update(xT: number, n4: number, dsub: number, cs: number, dmin: number): number;
  nearest_centroid(
    x: number,
    xStride: number,
    n: number,
    dsub: number,
    cb: number,
    cbStride: number,
    cnorm: number,
    cnormStride: number,
    outIdx: number,
    outDist: number,
  ): void;
}

// The subset of the WebAssembly JS API used here, typed locally: TypeScript declares it only in
// the DOM library, which the engine does not load.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number }) => WasmMemory;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const PAGE_BYTES = 65_536;
const MAX_PAGES = 65_536;
export const MAX_MEMORY_BYTES = PAGE_BYTES * MAX_PAGES;

let compiled: object | undefined;

function kernelsModule(): object {
  if (compiled === undefined) {
    const binary = atob(kernelsWasmBase64);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    compiled = new wasm.Module(bytes);
  }
  return compiled;
}

/**
 * One WebAssembly memory with its own instance of the kernels, and a bump allocator over it.
 *
 * An owner allocates its fixed scratch regions first and its record arena last, so that the arena
 * grows in place at the end of the memory (Wasm memories grow without moving). Growing replaces
 * the typed-array views: read them from this object after any call that may grow.
 */
export class KernelMemory {
  readonly memory: WasmMemory;
  readonly kernels: KernelExports;
  f32!: Float32Array;
  u8!: Uint8Array;
  u32!: Uint32Array;
  i32!: Int32Array;
  i16!: Int16Array;
  private top = 64; // offset 0 stays unused so that 0 is never a valid pointer

  constructor(initialBytes = PAGE_BYTES) {
    this.memory = new wasm.Memory({
      initial: Math.max(1, Math.ceil(initialBytes / PAGE_BYTES)),
      maximum: MAX_PAGES,
    });
    this.kernels = new wasm.Instance(kernelsModule(), { env: { memory: this.memory } })
      .exports as unknown as KernelExports;
    this.refreshViews();
  }

  /** Reserves `bytes` (aligned to `align`) and returns their offset. */
  alloc(bytes: number, align = 64): number {
    const offset = Math.ceil(this.top / align) * align;
    this.ensure(offset + bytes);
    this.top = offset + bytes;
    return offset;
  }

  /** Offset where the next allocation would start: the base of an arena allocated last. */
  end(align = 64): number {
    return Math.ceil(this.top / align) * align;
  }

  /** Makes [0, endByte) addressable, growing the memory in place when needed. */
  ensure(endByte: number): void {
    if (endByte > MAX_MEMORY_BYTES) {
      throw new EngineError(
        EngineErrorCode.CapacityExceeded,
        `an index partition can hold at most 4 GiB of vectors and codes; ${endByte} bytes requested`,
        { requestedBytes: endByte, maxBytes: MAX_MEMORY_BYTES },
      );
    }
    const have = this.memory.buffer.byteLength;
    if (endByte <= have) return;
    this.memory.grow(Math.ceil((endByte - have) / PAGE_BYTES));
    this.refreshViews();
  }

  /** Bytes the memory holds (committed pages). */
  bytes(): number {
    return this.memory.buffer.byteLength;
  }

  private refreshViews(): void {
    const buffer = this.memory.buffer;
    this.f32 = new Float32Array(buffer);
    this.u8 = new Uint8Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.i16 = new Int16Array(buffer);
  }
}
