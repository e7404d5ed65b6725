import { basename, extname } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker, type WorkerOptions } from "node:worker_threads";

/** This module's own file: a .ts under tsx or vitest, one of dist/*.mjs in a bundle. (A module
 * loaded through tsImport has a query after its path.) */
const FROM_SOURCE = fileURLToPath(import.meta.url).endsWith(".ts");

/** Loads the .ts module named in workerData.entry through tsx (threads do not inherit `--import tsx`). */
const WORKER_BOOT = new URL("./worker-boot.mjs", import.meta.url);

/**
 * The module a worker thread runs, given as its source path relative to `base` (the caller's
 * import.meta.url): that .ts file when running from source; in a bundle, the worker's own bundle
 * `dist/<file name>.mjs`, which scripts/build.mjs writes beside every other bundle.
 */
export function workerEntry(relative: string, base: string): string {
  if (FROM_SOURCE) return fileURLToPath(new URL(relative, base));
  const name = basename(relative, extname(relative));
  return fileURLToPath(new URL(`./${name}.mjs`, import.meta.url));
}

/** A worker thread running `entry` (from workerEntry), which finds itself in workerData.entry. */
export function startWorker(entry: string, options: WorkerOptions = {}): Worker {
  const workerData = { ...(options.workerData as object | undefined), entry };
  return new Worker(entry.endsWith(".ts") ? WORKER_BOOT : entry, { ...options, workerData });
}
