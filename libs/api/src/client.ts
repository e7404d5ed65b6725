import { ApiError, type ErrorBody } from "./errors.js";
import type { BenchmarkBody, BenchmarkJobResponse } from "./schemas/benchmark.js";
import type { WriteResponse } from "./schemas/common.js";
import type {
  CreateLibraryBody,
  LibraryResponse,
  StatisticsResponse,
} from "./schemas/libraries.js";
import type {
  MigrateBody,
  MigrationResponse,
  RecommendationQuery,
  RecommendationResponse,
  UpdateLibraryBody,
} from "./schemas/migrations.js";
import type { RecallMeasurementResponse } from "./schemas/recall-probe.js";
import type { SearchBody, SearchHit } from "./schemas/search.js";
import type { VectorResponse } from "./schemas/vectors.js";

export interface QuiverClientOptions {
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  apiKey?: string;
  /** Per request; default 60 s. */
  timeoutMs?: number;
}

export interface VectorToWrite {
  id: string;
  vector: ArrayLike<number>;
  metadata?: Record<string, unknown> | null;
}

export interface WriteOptions {
  /** Answer once the shards have applied the write. */
  wait?: boolean;
  /** Retries with the same key are applied once (Idempotency-Key header). */
  idempotencyKey?: string;
}

export interface ReadOptions {
  consistency?: "eventual" | "session" | "strong";
  writeToken?: string;
}

type Query = Omit<SearchBody, "vector" | "vectors">;

export interface SearchResult {
  results: SearchHit[];
  partial?: boolean;
  missing_partitions?: number[];
}

export interface BatchSearchResult {
  results: SearchHit[][];
  partial?: boolean;
  missing_partitions?: number[];
}

/** A typed client of the v1 REST API. Errors are thrown as ApiError with the server's code. */
export class QuiverClient {
  private readonly base: string;

  constructor(private readonly options: QuiverClientOptions) {
    this.base = options.url.replace(/\/+$/, "");
  }

  createLibrary(body: CreateLibraryBody): Promise<LibraryResponse> {
    return this.call("POST", "/v1/libraries", body);
  }

  async listLibraries(): Promise<LibraryResponse[]> {
    return (await this.call<{ libraries: LibraryResponse[] }>("GET", "/v1/libraries")).libraries;
  }

  getLibrary(id: string): Promise<LibraryResponse> {
    return this.call("GET", `/v1/libraries/${enc(id)}`);
  }

  statistics(id: string): Promise<StatisticsResponse> {
    return this.call("GET", `/v1/libraries/${enc(id)}/statistics`);
  }

  /** Starts a migration to another quantization (answers at once; follow it with migration()). */
  migrate(id: string, body: MigrateBody): Promise<MigrationResponse> {
    return this.call("POST", `/v1/libraries/${enc(id)}/quantization/migrate`, body);
  }

  migration(id: string, migrationId: string): Promise<MigrationResponse> {
    return this.call("GET", `/v1/libraries/${enc(id)}/quantization/migrations/${enc(migrationId)}`);
  }

  async migrations(id: string): Promise<MigrationResponse[]> {
    const path = `/v1/libraries/${enc(id)}/quantization/migrations`;
    return (await this.call<{ migrations: MigrationResponse[] }>("GET", path)).migrations;
  }

  cancelMigration(id: string, migrationId: string): Promise<MigrationResponse> {
    const path = `/v1/libraries/${enc(id)}/quantization/migrations/${enc(migrationId)}/cancel`;
    return this.call("POST", path, {});
  }

  /** Measures the library's recall now (the recall probe), and records the measurement. */
  probeRecall(
    id: string,
    options: { sampleSize?: number; seed?: number } = {},
  ): Promise<RecallMeasurementResponse> {
    const body = { sample_size: options.sampleSize, seed: options.seed };
    return this.call("POST", `/v1/libraries/${enc(id)}/quantization/probe`, body);
  }

  /** What the adaptive policy's rule recommends now (max_memory_gb / target_accuracy: what-if). */
  recommendation(id: string, query: RecommendationQuery = {}): Promise<RecommendationResponse> {
    const params = new URLSearchParams(
      Object.entries(query)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]): [string, string] => [k, String(v)]),
    ).toString();
    const path = `/v1/libraries/${enc(id)}/quantization/recommendation`;
    return this.call("GET", params ? `${path}?${params}` : path);
  }

  /** Changes an adaptive library's targets (max_memory_gb, target_accuracy, auto_tune). */
  updateLibrary(id: string, body: UpdateLibraryBody): Promise<LibraryResponse> {
    return this.call("PATCH", `/v1/libraries/${enc(id)}`, body);
  }

  deleteLibrary(id: string): Promise<{ id: string; deleted: boolean }> {
    return this.call("DELETE", `/v1/libraries/${enc(id)}`);
  }

  upsert(id: string, vectors: VectorToWrite[], options: WriteOptions = {}): Promise<WriteResponse> {
    const body = {
      vectors: vectors.map((v) => ({
        id: v.id,
        vector: Array.from(v.vector),
        ...(v.metadata === undefined ? {} : { metadata: v.metadata }),
      })),
      ...(options.wait === undefined ? {} : { wait: options.wait }),
    };
    const headers: Record<string, string> = options.idempotencyKey
      ? { "idempotency-key": options.idempotencyKey }
      : {};
    return this.call("POST", `/v1/libraries/${enc(id)}/vectors`, body, headers);
  }

  getVector(id: string, vectorId: string, options: ReadOptions = {}): Promise<VectorResponse> {
    const query = new URLSearchParams();
    if (options.consistency) query.set("consistency", options.consistency);
    if (options.writeToken) query.set("write_token", options.writeToken);
    const qs = query.size ? `?${query}` : "";
    return this.call("GET", `/v1/libraries/${enc(id)}/vectors/${enc(vectorId)}${qs}`);
  }

  deleteVector(id: string, vectorId: string, options: WriteOptions = {}): Promise<WriteResponse> {
    const qs = options.wait ? "?wait=true" : "";
    return this.call("DELETE", `/v1/libraries/${enc(id)}/vectors/${enc(vectorId)}${qs}`);
  }

  deleteVectors(id: string, ids: string[], options: WriteOptions = {}): Promise<WriteResponse> {
    const body = { ids, ...(options.wait === undefined ? {} : { wait: options.wait }) };
    return this.call("POST", `/v1/libraries/${enc(id)}/vectors/delete`, body);
  }

  search(id: string, vector: ArrayLike<number>, query: Query = {}): Promise<SearchResult> {
    return this.call("POST", `/v1/libraries/${enc(id)}/search`, {
      ...query,
      vector: Array.from(vector),
    });
  }

  searchBatch(
    id: string,
    vectors: ArrayLike<number>[],
    query: Query = {},
  ): Promise<BatchSearchResult> {
    return this.call("POST", `/v1/libraries/${enc(id)}/search`, {
      ...query,
      vectors: vectors.map((v) => Array.from(v)),
    });
  }

  /** Starts a benchmark job of quantization strategies on the library's vectors. */
  startBenchmark(id: string, body: BenchmarkBody = {}): Promise<BenchmarkJobResponse> {
    return this.call("POST", `/v1/libraries/${enc(id)}/quantization/benchmark`, body);
  }

  benchmark(id: string, jobId: string): Promise<BenchmarkJobResponse> {
    return this.call("GET", `/v1/libraries/${enc(id)}/quantization/benchmarks/${enc(jobId)}`);
  }

  /** True when the server answers /healthz with 200. */
  async healthy(): Promise<boolean> {
    try {
      const res = await fetch(`${this.base}/healthz`, { signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer();
      return res.ok;
    } catch {
      return false;
    }
  }

  private async call<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 60_000),
    });
    const text = await res.text();
    const parsed = text ? (JSON.parse(text) as unknown) : undefined;
    if (!res.ok) {
      const error = (parsed as ErrorBody | undefined)?.error;
      throw new ApiError(
        error?.code ?? "HTTP_ERROR",
        error?.message ?? `${method} ${path}: HTTP ${res.status}`,
        error?.details ?? {},
        res.status,
      );
    }
    return parsed as T;
  }
}

const enc = encodeURIComponent;
