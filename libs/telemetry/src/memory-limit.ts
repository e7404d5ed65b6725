import { readFileSync } from "node:fs";

/** cgroup v1 writes a huge number (a page-rounded 2^63) when there is no limit. */
const V1_UNLIMITED = 2 ** 60;

/**
 * The memory this process may use, when known: QUIVER_SHARD_MEMORY_LIMIT_BYTES, else the
 * cgroup's limit (v2 `memory.max`, v1 `memory.limit_in_bytes`), else undefined.
 */
export function memoryLimitBytes(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const configured = env.QUIVER_SHARD_MEMORY_LIMIT_BYTES;
  if (configured !== undefined && configured !== "") {
    const bytes = Number(configured);
    if (!Number.isFinite(bytes) || bytes <= 0) {
      throw new Error(
        `QUIVER_SHARD_MEMORY_LIMIT_BYTES must be a positive number of bytes, got "${configured}"`,
      );
    }
    return bytes;
  }
  const v2 = readCgroup("/sys/fs/cgroup/memory.max");
  if (v2 !== undefined) return v2 === "max" ? undefined : positive(v2);
  const v1 = readCgroup("/sys/fs/cgroup/memory/memory.limit_in_bytes");
  const bytes = v1 === undefined ? undefined : positive(v1);
  return bytes !== undefined && bytes < V1_UNLIMITED ? bytes : undefined;
}

function readCgroup(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return undefined;
  }
}

function positive(text: string): number | undefined {
  const value = Number(text);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}
