import { fileURLToPath } from "node:url";

/**
 * The script a TypeScript worker thread starts with: worker-boot.mjs, which loads the module
 * named in workerData.entry through tsx (worker threads do not inherit `--import tsx`).
 */
export const WORKER_BOOT = new URL("./worker-boot.mjs", import.meta.url);

/** The path of a worker module beside `base` (its import.meta.url), for workerData.entry. */
export function workerEntry(relative: string, base: string): string {
  return fileURLToPath(new URL(relative, base));
}
