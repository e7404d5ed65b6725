// One shard process with 1 worker thread, then with 2, on the same data: a 2-partition library's
// ingest (vectors applied per second) and 8-connection search QPS (the acceptance on a
// 2-core machine: >= 1.6x the ingest, >= 1.4x the searches with 2 workers).
import { QuiverClient } from "@quiver/api";
import type { Dataset } from "@quiver/testing";
import { upsertAll } from "../http-ingest.js";
import { runSearchLoad } from "../load/children.js";
import type { SearchLoadResult } from "../load/search-load.js";
import { startDeployment } from "./deployment.js";
import { HNSW, untilHolds } from "./library-setup.js";

export interface CoresOptions {
  data: Dataset;
  vectors: number;
  durationS: number;
  queries: number;
  workers: number[];
}

export interface CoresRow {
  workers: number;
  applied_vectors_per_s: number;
  search: SearchLoadResult;
}

export async function cores(options: CoresOptions): Promise<CoresRow[]> {
  const rows: CoresRow[] = [];
  for (const workers of options.workers) {
    const deployment = await startDeployment({
      shards: 1,
      env: { QUIVER_SHARD_WORKERS: String(workers) },
    });
    try {
      const client = new QuiverClient({ url: deployment.url, timeoutMs: 600_000 });
      const lib = await client.createLibrary({
        name: "cores",
        dimension: options.data.dim,
        metric: options.data.metric,
        hnsw_config: HNSW,
        partitions: 2,
      });
      const started = performance.now();
      await upsertAll(client, lib.id, options.data, { count: options.vectors, batch: 500 });
      await untilHolds(client, lib.id, options.vectors);
      const appliedS = (performance.now() - started) / 1000;
      const search = await runSearchLoad({
        url: deployment.url,
        libraryId: lib.id,
        connections: 8,
        durationS: options.durationS,
        queries: options.queries,
      });
      rows.push({ workers, applied_vectors_per_s: options.vectors / appliedS, search });
    } finally {
      await deployment.stop();
    }
  }
  return rows;
}
