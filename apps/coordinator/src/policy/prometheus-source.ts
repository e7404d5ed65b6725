import { LIBRARY_MEMORY_COMPONENTS, type LibraryMemoryComponent } from "@quiver/telemetry";
import { PolicyError, PolicyErrorCode } from "./errors.js";
import {
  libraryEntry,
  type LibraryMemory,
  type MemoryPressure,
  type MemoryPressureSource,
  type ShardMemory,
} from "./memory-pressure.js";

export interface PrometheusSourceOptions {
  /** Base URL of Prometheus's HTTP API, e.g. `http://127.0.0.1:9090`. */
  url: string;
  /** The job label the shards are scraped under; `quiver-shard` unless told. */
  shardJob?: string;
  /** How long one query may take, on the wire and in Prometheus; 5000 unless told. */
  timeoutMs?: number;
}

/** One sample of an instant vector, as the HTTP API answers it. */
interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** The PromQL a PrometheusSource runs, for one shard job. */
export function pressureQueries(job: string) {
  const on = `{job="${job}"}`;
  return {
    /** Bytes per library and component, summed over partitions and replicas. */
    libraryBytes: `sum by (library_id, component) (quiver_library_memory_bytes${on})`,
    /** Vectors per library: each partition once (its largest replica), then summed. */
    libraryVectors: `sum by (library_id) (max by (library_id, partition) (quiver_library_vectors${on}))`,
    /** When the oldest of a library's series was scraped (s since the epoch). */
    libraryScrapedAt: `min by (library_id) (timestamp(quiver_library_memory_bytes{job="${job}",component="total"}))`,
    shardRss: `process_resident_memory_bytes${on}`,
    shardLimit: `quiver_process_memory_limit_bytes${on}`,
  };
}

/**
 * Memory pressure in a cluster, read from Prometheus's HTTP API over the shards' metrics
 * (quiver_library_memory_bytes, quiver_library_vectors, process_resident_memory_bytes,
 * quiver_process_memory_limit_bytes). The figures are as fresh as the last scrape.
 */
export class PrometheusSource implements MemoryPressureSource {
  private readonly url: string;
  private readonly timeoutMs: number;
  private readonly queries: ReturnType<typeof pressureQueries>;

  constructor(options: PrometheusSourceOptions) {
    this.url = options.url.replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.queries = pressureQueries(options.shardJob ?? "quiver-shard");
  }

  async read(): Promise<MemoryPressure> {
    const atMs = Date.now();
    const [bytes, vectors, scrapedAt, rss, limits] = await Promise.all([
      this.query(this.queries.libraryBytes),
      this.query(this.queries.libraryVectors),
      this.query(this.queries.libraryScrapedAt),
      this.query(this.queries.shardRss),
      this.query(this.queries.shardLimit),
    ]);
    const libraries = new Map<string, LibraryMemory>();
    for (const sample of bytes) {
      const component = sample.metric.component as LibraryMemoryComponent;
      if (!LIBRARY_MEMORY_COMPONENTS.includes(component)) continue;
      const entry = libraryEntry(libraries, sample.metric.library_id);
      entry.components[component] = value(sample);
      if (component === "total") entry.bytes = value(sample);
    }
    for (const sample of vectors) {
      libraryEntry(libraries, sample.metric.library_id).vectors = value(sample);
    }
    for (const sample of scrapedAt) {
      const entry = libraries.get(sample.metric.library_id);
      if (entry) entry.sampledAtMs = value(sample) * 1000;
    }
    const limitOf = new Map(limits.map((s) => [shardOf(s), value(s)]));
    const shards: ShardMemory[] = rss.map((sample) => {
      const shardId = shardOf(sample);
      const limitBytes = limitOf.get(shardId);
      return { shardId, rssBytes: value(sample), ...(limitBytes ? { limitBytes } : {}) };
    });
    shards.sort((a, b) => (a.shardId < b.shardId ? -1 : 1));
    return { atMs, libraries, shards };
  }

  /** An instant query; the samples of the vector it answers. */
  async query(promql: string): Promise<VectorSample[]> {
    const timeout = `${Math.max(1, Math.ceil(this.timeoutMs / 1000))}s`;
    const url = `${this.url}/api/v1/query?query=${encodeURIComponent(promql)}&timeout=${timeout}`;
    let response: Response;
    let body: unknown;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs) });
      body = await response.json();
    } catch (error) {
      const why =
        error instanceof Error && error.name === "TimeoutError"
          ? `did not answer within ${this.timeoutMs} ms`
          : error instanceof SyntaxError
            ? "answered something that is not JSON (is this Prometheus?)"
            : `is unreachable (${describe(error)})`;
      throw new PolicyError(
        PolicyErrorCode.PrometheusUnavailable,
        `Prometheus at ${this.url} ${why}`,
        { cause: error },
      );
    }
    const answer = body as {
      status?: string;
      errorType?: string;
      error?: string;
      data?: { resultType?: string; result?: VectorSample[] };
    };
    if (answer.status === "error") {
      throw new PolicyError(
        PolicyErrorCode.PrometheusQueryFailed,
        `Prometheus at ${this.url} rejected the query ${promql} (HTTP ${response.status}, ${answer.errorType}): ${answer.error}`,
      );
    }
    if (answer.status !== "success" || answer.data?.resultType !== "vector") {
      throw new PolicyError(
        PolicyErrorCode.PrometheusUnavailable,
        `Prometheus at ${this.url} answered the query ${promql} with HTTP ${response.status} and no instant vector`,
      );
    }
    return answer.data.result ?? [];
  }
}

function value(sample: VectorSample): number {
  return Number(sample.value[1]);
}

/** The shard a series comes from: its shard_id label, else the scraped instance. */
function shardOf(sample: VectorSample): string {
  return sample.metric.shard_id ?? sample.metric.instance ?? "unknown";
}

function describe(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: string } | undefined) : undefined;
  if (cause?.code) return cause.code;
  return error instanceof Error ? error.message : String(error);
}
