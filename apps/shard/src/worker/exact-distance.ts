import type { Metric } from "@quiver/engine";

/** The engine's distance of two float32 vectors (smaller is closer), computed in JS. */
export function exactDistance(metric: Metric, a: Float32Array, b: ArrayLike<number>): number {
  let dot = 0;
  if (metric === "l2") {
    let sum = 0;
    for (let i = 0; i < a.length; i++) {
      const d = a[i] - b[i];
      sum += d * d;
    }
    return sum;
  }
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  if (metric === "dot") return -dot;
  const norms = Math.sqrt(na * nb);
  return norms === 0 ? 1 : 1 - dot / norms;
}
