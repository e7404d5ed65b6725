import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import type { Dataset } from "./dataset.js";

/** Where Debian's `dataset-fashion-mnist` package puts the files (`dpkg -L dataset-fashion-mnist`). */
export const FASHION_MNIST_DIR =
  process.env.QUIVER_FASHION_MNIST_DIR ?? "/usr/share/datasets/fashion-mnist";

export class DatasetMissingError extends Error {
  override readonly name = "DatasetMissingError";
}

/**
 * Fashion-MNIST as ann-benchmarks uses it (fashion-mnist-784-euclidean): the 60,000 training
 * images are the base, the 10,000 test images the queries, 784 pixel values 0-255 each, l2.
 */
export function loadFashionMnist(): Dataset {
  const base = readIdxImages(join(FASHION_MNIST_DIR, "train-images-idx3-ubyte.gz"));
  const queries = readIdxImages(join(FASHION_MNIST_DIR, "t10k-images-idx3-ubyte.gz"));
  return {
    name: "fashion-mnist",
    dim: base.dim,
    metric: "l2",
    base: base.values,
    baseCount: base.count,
    queries: queries.values,
    queryCount: queries.count,
  };
}

/** IDX3 (magic 0x00000803, count, rows, cols, then u8 pixels), gzip-compressed. */
function readIdxImages(path: string): { values: Float32Array; count: number; dim: number } {
  if (!existsSync(path)) {
    throw new DatasetMissingError(
      `${path} not found: install Debian's dataset-fashion-mnist package ` +
        "(apt-get install dataset-fashion-mnist) or set QUIVER_FASHION_MNIST_DIR",
    );
  }
  const bytes = gunzipSync(readFileSync(path));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0) !== 0x803) throw new Error(`${path}: not an IDX3 image file`);
  const count = view.getUint32(4);
  const dim = view.getUint32(8) * view.getUint32(12);
  if (bytes.byteLength !== 16 + count * dim) throw new Error(`${path}: truncated`);
  const values = new Float32Array(count * dim);
  for (let i = 0; i < values.length; i++) values[i] = bytes[16 + i];
  return { values, count, dim };
}
