import type { KernelMemory } from "../kernels/kernel-memory.js";
import type { Rng } from "../random.js";

/** Centroid slots in the kernels' codebook layout: codes are one byte. */
export const CODEBOOK_SLOTS = 256;

/** The kernels take points scaled by this factor (see nearest_centroid in kmeans.wat). */
export const POINT_SCALE = -2;

export interface KMeansPoints {
  mem: KernelMemory;
  /** Offset of the first point's first component; components are stored times POINT_SCALE. */
  ptr: number;
  /** Bytes from one point to the next. */
  strideBytes: number;
  count: number;
  dsub: number;
}

export interface KMeansScratch {
  /** dsub * 256 floats: the codebook, transposed, as the kernels read it. */
  cbPtr: number;
  /** 256 floats: squared centroid norms, +inf for unused slots. */
  cnormPtr: number;
  /** count i32 and count f32: nearest centroid and distance of each point. */
  idxPtr: number;
  distPtr: number;
  /** Seeding: the sample transposed (dsub rows of seedCapacity), a splatted centroid, distances. */
  seedCapacity: number;
  seedPointsPtr: number;
  seedCentroidPtr: number;
  seedDistPtr: number;
}

/** Allocates the scratch of k-means over `count` points of `dsub` floats, once for all subspaces. */
export function allocKMeansScratch(
  mem: KernelMemory,
  count: number,
  dsub: number,
  seedSample: number,
): KMeansScratch {
  const seedCapacity = Math.ceil(Math.max(CODEBOOK_SLOTS, Math.min(count, seedSample)) / 4) * 4;
  return {
    cbPtr: mem.alloc(dsub * CODEBOOK_SLOTS * 4),
    cnormPtr: mem.alloc(CODEBOOK_SLOTS * 4),
    idxPtr: mem.alloc(count * 4),
    distPtr: mem.alloc(count * 4),
    seedCapacity,
    seedPointsPtr: mem.alloc(seedCapacity * dsub * 4),
    seedCentroidPtr: mem.alloc(dsub * 16),
    seedDistPtr: mem.alloc(seedCapacity * 4),
  };
}

export interface KMeansOptions {
  k: number;
  maxIterations: number;
  /** Stop when an iteration improves the total squared error by less than this fraction. */
  tolerance: number;
  /** Points drawn for k-means++ seeding (seeding costs O(seedSample * k * dsub)). */
  seedSample: number;
  rng: Rng;
}

export interface KMeansResult {
  /** min(k, count) centroids of dsub floats, row by row. */
  centroids: Float32Array;
  centroidCount: number;
  iterations: number;
  inertia: number;
}

/** Writes `centroids` in the kernels' layout (cb[d][256], cnorm[256]). */
export function writeCodebook(
  mem: KernelMemory,
  centroids: Float32Array,
  count: number,
  dsub: number,
  cbPtr: number,
  cnormPtr: number,
): void {
  const f32 = mem.f32;
  const cb = cbPtr >>> 2;
  const cn = cnormPtr >>> 2;
  for (let j = 0; j < CODEBOOK_SLOTS; j++) {
    let norm = 0;
    for (let d = 0; d < dsub; d++) {
      const v = j < count ? centroids[j * dsub + d] : 0;
      f32[cb + d * CODEBOOK_SLOTS + j] = v;
      norm += v * v;
    }
    f32[cn + j] = j < count ? norm : Infinity;
  }
}

/**
 * k-means: k-means++ seeding on a sample, then Lloyd iterations whose assignment step runs in the
 * `nearest_centroid` kernel. An emptied cluster is re-seeded with the point farthest from its
 * centroid.
 */
export function kMeans(
  points: KMeansPoints,
  scratch: KMeansScratch,
  options: KMeansOptions,
): KMeansResult {
  const { mem, ptr, strideBytes, count, dsub } = points;
  const k = Math.min(options.k, count);
  const centroids = seedPlusPlus(points, scratch, k, options);
  const sums = new Float64Array(k * dsub);
  const sizes = new Uint32Array(k);
  let inertia = Infinity;
  let iterations = 0;
  while (iterations < options.maxIterations) {
    iterations++;
    writeCodebook(mem, centroids, k, dsub, scratch.cbPtr, scratch.cnormPtr);
    mem.kernels.nearest_centroid(
      ptr,
      strideBytes,
      count,
      dsub,
      scratch.cbPtr,
      0,
      scratch.cnormPtr,
      0,
      scratch.idxPtr,
      scratch.distPtr,
    );
    const f32 = mem.f32;
    const idx = mem.i32;
    const idx0 = scratch.idxPtr >>> 2;
    const dist0 = scratch.distPtr >>> 2;
    let total = 0;
    sums.fill(0);
    sizes.fill(0);
    for (let i = 0; i < count; i++) {
      const c = idx[idx0 + i];
      total += f32[dist0 + i];
      sizes[c]++;
      const p = (ptr + i * strideBytes) >>> 2;
      const s = c * dsub;
      for (let d = 0; d < dsub; d++) sums[s + d] += f32[p + d];
    }
    for (let c = 0; c < k; c++) {
      if (sizes[c] === 0) continue;
      const inv = 1 / (sizes[c] * POINT_SCALE);
      for (let d = 0; d < dsub; d++) centroids[c * dsub + d] = sums[c * dsub + d] * inv;
    }
    reseedEmpty(points, scratch, centroids, sizes);
    const improved = inertia - total;
    inertia = total;
    if (improved >= 0 && improved <= options.tolerance * total) break;
  }
  return { centroids, centroidCount: k, iterations, inertia };
}

function reseedEmpty(
  points: KMeansPoints,
  scratch: KMeansScratch,
  centroids: Float32Array,
  sizes: Uint32Array,
): void {
  const { mem, ptr, strideBytes, count, dsub } = points;
  const f32 = mem.f32;
  const dist0 = scratch.distPtr >>> 2;
  for (let c = 0; c < sizes.length; c++) {
    if (sizes[c] > 0) continue;
    let far = 0;
    for (let i = 1; i < count; i++) if (f32[dist0 + i] > f32[dist0 + far]) far = i;
    const p = (ptr + far * strideBytes) >>> 2;
    for (let d = 0; d < dsub; d++) centroids[c * dsub + d] = f32[p + d] / POINT_SCALE;
    f32[dist0 + far] = 0;
  }
}

/**
 * k-means++: each next centroid drawn with probability proportional to its squared distance to
 * the nearest centroid chosen so far. The sample is transposed into the memory so that the
 * `kmeanspp_update` kernel updates those distances four points at a time.
 */
function seedPlusPlus(
  points: KMeansPoints,
  scratch: KMeansScratch,
  k: number,
  options: KMeansOptions,
): Float32Array {
  const { mem, ptr, strideBytes, count, dsub } = points;
  const { rng } = options;
  const n = Math.min(scratch.seedCapacity, Math.max(k, Math.min(count, options.seedSample)));
  const n4 = Math.ceil(n / 4) * 4;
  const pick = new Uint32Array(n);
  for (let i = 0; i < n; i++) pick[i] = n === count ? i : rng.int(count);
  const xT = scratch.seedPointsPtr;
  const cs = scratch.seedCentroidPtr;
  const dmin = scratch.seedDistPtr;
  let f32 = mem.f32;
  for (let i = 0; i < n; i++) {
    const p = (ptr + pick[i] * strideBytes) >>> 2;
    for (let d = 0; d < dsub; d++) f32[(xT >>> 2) + d * n4 + i] = f32[p + d] / POINT_SCALE;
  }
  f32.fill(Infinity, dmin >>> 2, (dmin >>> 2) + n);
  f32.fill(0, (dmin >>> 2) + n, (dmin >>> 2) + n4);
  const centroids = new Float32Array(k * dsub);
  let chosen = rng.int(n);
  for (let c = 0; c < k; c++) {
    f32 = mem.f32;
    for (let d = 0; d < dsub; d++) {
      const v = f32[(xT >>> 2) + d * n4 + chosen];
      centroids[c * dsub + d] = v;
      f32.fill(v, (cs >>> 2) + d * 4, (cs >>> 2) + d * 4 + 4);
    }
    if (c === k - 1) break;
    const total = mem.kernels.kmeanspp_update(xT, n4, dsub, cs, dmin);
    if (!(total > 0)) {
      chosen = rng.int(n); // every sampled point already sits on a centroid
      continue;
    }
    let target = rng.next() * total;
    chosen = n - 1;
    for (let i = 0; i < n; i++) {
      target -= f32[(dmin >>> 2) + i];
      if (target < 0) {
        chosen = i;
        break;
      }
    }
  }
  return centroids;
}
