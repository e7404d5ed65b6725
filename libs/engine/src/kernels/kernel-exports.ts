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
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number }) => WasmMemory;
}
export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export const PAGE_BYTES = 65_536;
export const MAX_PAGES = 65_536;
export const MAX_MEMORY_BYTES = PAGE_BYTES * MAX_PAGES;

let compiled: object | undefined;

export function kernelsModule(): object {
  if (compiled === undefined) {
    const binary = atob(kernelsWasmBase64);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    compiled = new wasm.Module(bytes);
  }
  return compiled;
}
