import type { QuiverClient } from "@quiver/api";
import type { Dataset } from "@quiver/testing";

export interface UpsertAllOptions {
  /** Rows 0..count-1 of the data set (default: all). */
  count?: number;
  /** Vectors per request. */
  batch: number;
  /** Requests in flight. */
  inFlight?: number;
  /** Metadata of row i (none when absent). */
  metadata?: (i: number) => Record<string, unknown>;
}

/**
 * Upserts rows of `data` as vectors `v<i>` through the HTTP API, `inFlight` requests at a time;
 * resolves once the log acknowledged every request, with the seconds that took.
 */
export async function upsertAll(
  client: QuiverClient,
  libraryId: string,
  data: Dataset,
  options: UpsertAllOptions,
): Promise<number> {
  const count = options.count ?? data.baseCount;
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: options.inFlight ?? 4 }, async () => {
      while (next < count) {
        const start = next;
        next += options.batch;
        const end = Math.min(count, start + options.batch);
        const rows = [];
        for (let i = start; i < end; i++) {
          rows.push({
            id: `v${i}`,
            vector: data.base.subarray(i * data.dim, (i + 1) * data.dim),
            ...(options.metadata && { metadata: options.metadata(i) }),
          });
        }
        await client.upsert(libraryId, rows);
      }
    }),
  );
  return (performance.now() - started) / 1000;
}
