// One shard process with 1 worker thread, then with 2, on the same data: a 2-partition library's
// ingest (vectors applied per second) and 8-connection search QPS (the acceptance on a
// 2-core machine: >= 1.6x the ingest, >= 1.4x the searches with 2 workers). Searches are sent one
// query a request and also 10 a request (`vectors[]`): on 2 cores the coordinator, nats-server and
// the client take about as much CPU per single query as the graph search, so only batches show
// what the worker threads add.
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
  /** Queries per request of each search load (default 1 and 10). */
  batches?: number[];
}

export interface CoresRow {
  workers: number;
  applied_vectors_per_s: number;
  /** 8-connection search loads, one per batch size. */
  searches: (SearchLoadResult & { batch: number })[];
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
      const searches = [];
      for (const batch of options.batches ?? [1, 10]) {
        const search = await runSearchLoad({
          url: deployment.url,
          libraryId: lib.id,
          connections: 8,
          durationS: options.durationS,
          queries: options.queries,
          batch,
        });
        searches.push({ batch, ...search });
      }
      rows.push({ workers, applied_vectors_per_s: options.vectors / appliedS, searches });
    } finally {
      await deployment.stop();
    }
  }
  return rows;
}
