import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Workspace-local cache for expensive derived data (e.g. exact ground truth). Git-ignored. */
export const CACHE_DIR =
  process.env.QUIVER_CACHE_DIR ??
  resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..", ".cache");

/** Returns the cached Uint32Array under `key`, computing and storing it when absent. */
export function cachedU32(key: string, compute: () => Uint32Array): Uint32Array {
  const path = join(CACHE_DIR, `${key.replace(/[^a-zA-Z0-9_.-]/g, "_")}.u32`);
  if (existsSync(path)) {
    const bytes = readFileSync(path);
    return new Uint32Array(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    );
  }
  const value = compute();
  mkdirSync(CACHE_DIR, { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  renameSync(tmp, path);
  return value;
}
