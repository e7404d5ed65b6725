// Search latency of one library, idle and while another library ingests Fashion-MNIST as fast as
// the API takes it (the acceptance: under ingest, p99 <= 3x idle and never above 50 ms).
// The searches and the ingest come from processes of their own (bench/load).
import { QuiverClient } from "@quiver/api";
import type { Dataset } from "@quiver/testing";
import { runSearchLoad, startIngestLoad } from "../load/children.js";
import type { SearchLoadResult } from "../load/search-load.js";
import { startDeployment } from "./deployment.js";
import { HNSW, loadedLibrary } from "./library-setup.js";

export interface UnderIngestOptions {
  /** 0 for embedded, else shard processes. */
  shards: number;
  data: Dataset;
  /** Vectors of the searched library. */
  searched: number;
  durationS: number;
  connections: number[];
  queries: number;
  /** The ingest client's nice value (see startIngestLoad). */
  ingestNice: number;
}

export interface UnderIngestRow {
  deployment: string;
  connections: number;
  idle: SearchLoadResult;
  under_ingest: SearchLoadResult;
  ingest_vectors_per_s: number;
  p99_ratio: number;
}

export async function searchUnderIngest(options: UnderIngestOptions): Promise<UnderIngestRow[]> {
  const deployment = await startDeployment({ shards: options.shards });
  try {
    const client = new QuiverClient({ url: deployment.url, timeoutMs: 600_000 });
    const partitions = 2;
    const searched = await loadedLibrary(
      client,
      "searched",
      options.data,
      options.searched,
      partitions,
    );
    const search = (connections: number) =>
      runSearchLoad({
        url: deployment.url,
        libraryId: searched,
        connections,
        durationS: options.durationS,
        queries: options.queries,
      });
    const idle = new Map<number, SearchLoadResult>();
    for (const c of options.connections) idle.set(c, await search(c));
    const ingested = await client.createLibrary({
      name: "ingested",
      dimension: options.data.dim,
      metric: options.data.metric,
      hnsw_config: HNSW,
      partitions,
    });
    const ingest = startIngestLoad(
      {
        url: deployment.url,
        libraryId: ingested.id,
        count: 10_000_000,
        batch: 500,
        inFlight: 4,
      },
      options.ingestNice,
    );
    // the ingest at full speed before measuring
    await new Promise((r) => setTimeout(r, 3000));
    const busy = new Map<number, SearchLoadResult>();
    for (const c of options.connections) busy.set(c, await search(c));
    const acknowledged = await ingest.stop();
    return options.connections.map((c) => {
      const i = idle.get(c) as SearchLoadResult;
      const b = busy.get(c) as SearchLoadResult;
      return {
        deployment: deployment.name,
        connections: c,
        idle: i,
        under_ingest: b,
        ingest_vectors_per_s: acknowledged.vectors / acknowledged.seconds,
        p99_ratio: b.p99_ms / i.p99_ms,
      };
    });
  } finally {
    await deployment.stop();
  }
}
