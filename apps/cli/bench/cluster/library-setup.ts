import type { QuiverClient } from "@quiver/api";
import type { Dataset } from "@quiver/testing";
import { upsertAll } from "../http-ingest.js";

export const HNSW = { m: 16, ef_construction: 200, ef_search: 64 };

/** Waits until a library holds `count` vectors (every write applied and indexed). */
export async function untilHolds(client: QuiverClient, libraryId: string, count: number) {
  for (;;) {
    const lib = await client.getLibrary(libraryId);
    if ((lib.num_vectors ?? 0) >= count) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A float32 library of the first `count` rows of `data`, every write applied. */
export async function loadedLibrary(
  client: QuiverClient,
  name: string,
  data: Dataset,
  count: number,
  partitions: number,
): Promise<string> {
  const lib = await client.createLibrary({
    name,
    dimension: data.dim,
    metric: data.metric,
    hnsw_config: HNSW,
    partitions,
  });
  await upsertAll(client, lib.id, data, { count, batch: 500 });
  await untilHolds(client, lib.id, count);
  return lib.id;
}
