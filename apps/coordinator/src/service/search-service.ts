import {
  ApiError,
  ApiErrorCode,
  compileFilter,
  invalidField,
  type PartitionSearchResult,
  type SearchBody,
  type SearchHit,
  type ShardClient,
  type ShardHit,
} from "@quiver/api";
import type { LibraryRecord } from "@quiver/events";
import { partitionsOf } from "../catalog/catalog.js";
import { readSeqs } from "./consistency.js";
import type { ServiceContext } from "./context.js";
import type { RequestTiming } from "./request-timing.js";

export interface SearchAnswer {
  /** One list per query. */
  results: SearchHit[][];
  missingPartitions: number[];
}

/** The least time one attempt on a replica gets when another replica could be tried next. */
const MIN_ATTEMPT_MS = 2_000;

/**
 * Search: sends the queries to one replica of every partition of the library (one request per
 * shard, carrying that shard's partitions), retries a partition on its next replica when the
 * first cannot serve it, and merges the partitions' top-k into the global top-k by distance.
 * A partition without a live replica fails the search (503) unless allow_partial is set; then
 * the answer is flagged partial and names the missing partitions.
 */
export class SearchService {
  constructor(private readonly ctx: ServiceContext) {}

  /**
   * With `timing`, records `validate` (the checks here), `route` (consistency, fan-out and the
   * wait for the shards, less their own search time), `search` and `rerank` (the slowest
   * shard's, as it reports them); the caller records the rest.
   */
  async search(
    library: LibraryRecord,
    body: SearchBody,
    timing?: RequestTiming,
  ): Promise<SearchAnswer> {
    const queries = this.queries(library, body);
    if (body.filter !== undefined) compileFilter(body.filter);
    if (body.rerank_top_k !== undefined && body.rerank_top_k < (body.k ?? 10)) {
      throw invalidField("rerank_top_k", "must be at least k");
    }
    timing?.mark("validate");
    const shardTimings = { searchMs: 0, rerankMs: 0 };
    const k = body.k ?? 10;
    const timeoutMs = body.timeout_ms ?? this.ctx.searchTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    const partitions = Array.from({ length: partitionsOf(library) }, (_, p) => p);
    const minSeqs = await readSeqs(
      this.ctx,
      library,
      body.consistency ?? "eventual",
      body.write_token,
      partitions,
    );
    const request = {
      libraryId: library.libraryId,
      queries,
      dimension: library.dimension,
      k,
      ef: body.ef,
      rerankTopK: body.rerank_top_k,
      exact: body.exact,
      filter: body.filter,
      minSeqs,
      includeMetadata: body.include_metadata ?? true,
      includeVectors: body.include_vectors ?? false,
      ...(timing ? { timings: true } : {}),
    };
    const answered = new Map<number, ShardHit[][]>();
    const failures = new Map<number, PartitionSearchResult["error"]>();
    let pending = partitions;
    const tried = new Map<number, Set<string>>();
    // Each round sends the partitions still unanswered to a replica not tried for them yet.
    while (pending.length > 0) {
      const byShard = new Map<string, { shard: ShardClient; partitions: number[] }>();
      const unroutable: number[] = [];
      for (const p of pending) {
        const used = tried.get(p) ?? new Set<string>();
        tried.set(p, used);
        const shard = this.ctx.router.replicas(p).find((s) => !used.has(s.shardId));
        if (!shard) {
          unroutable.push(p);
          continue;
        }
        used.add(shard.shardId);
        let entry = byShard.get(shard.shardId);
        if (!entry) byShard.set(shard.shardId, (entry = { shard, partitions: [] }));
        entry.partitions.push(p);
      }
      if (byShard.size === 0) break;
      const retry: number[] = [];
      await Promise.all(
        [...byShard.values()].map(async ({ shard, partitions: ps }) => {
          const remaining = deadline - Date.now();
          // With another replica to fall back on, one attempt gets a share of the time: a request
          // in flight to a node that dies is answered by nobody, and would use it all.
          const fallback = ps.every((p) =>
            this.ctx.router.replicas(p).some((s) => !tried.get(p)?.has(s.shardId)),
          );
          const attemptMs = fallback
            ? Math.min(remaining, Math.max(MIN_ATTEMPT_MS, remaining / 3))
            : remaining;
          let results: PartitionSearchResult[];
          try {
            const response = await shard.search({
              ...request,
              partitions: ps,
              timeoutMs: Math.max(1, attemptMs),
            });
            results = response.results;
            if (response.timings && response.timings.searchMs > shardTimings.searchMs) {
              shardTimings.searchMs = response.timings.searchMs;
              shardTimings.rerankMs = response.timings.rerankMs;
            }
          } catch (error) {
            results = ps.map((partition) => ({
              partition,
              error: {
                code: "PARTITION_NOT_SERVED",
                message: `shard ${shard.shardId}: ${(error as Error).message}`,
              },
            }));
          }
          for (const r of results) {
            if (r.hits) answered.set(r.partition, r.hits);
            else {
              failures.set(r.partition, r.error);
              const code = r.error?.code;
              if (
                code === "PARTITION_NOT_SERVED" ||
                code === "PARTITION_HALTED" ||
                code === "LIBRARY_FAILED" ||
                code === "INTERNAL"
              )
                retry.push(r.partition);
            }
          }
        }),
      );
      for (const p of unroutable)
        failures.set(
          p,
          failures.get(p) ?? {
            code: "PARTITION_NOT_SERVED",
            message: `partition ${p} has no live replica`,
          },
        );
      pending = Date.now() < deadline ? retry : [];
    }
    for (const [p, error] of failures) {
      if (answered.has(p)) continue;
      if (error?.code === "TIMEOUT")
        throw new ApiError(ApiErrorCode.Timeout, error.message, { partitions: [p] });
      if (error?.code === "DIMENSION_MISMATCH")
        throw invalidField("vector", error.message, ApiErrorCode.DimensionMismatch);
      if (error?.code === "INVALID_FILTER")
        throw invalidField("filter", error.message, ApiErrorCode.InvalidFilter);
    }
    if (timing) {
      timing.mark("route");
      timing.add("route", -shardTimings.searchMs);
      timing.add("search", shardTimings.searchMs);
      timing.add("rerank", shardTimings.rerankMs);
    }
    const missing = partitions.filter((p) => !answered.has(p));
    if (missing.length > 0 && !body.allow_partial) {
      throw new ApiError(
        ApiErrorCode.PartitionUnavailable,
        `partitions ${missing.join(", ")} have no live replica that can serve them; ` +
          "retry, or pass allow_partial: true for results from the others",
        { partitions: missing, reasons: missing.map((p) => failures.get(p)?.message ?? "") },
      );
    }
    const queryCount = queries.length / library.dimension;
    const results = Array.from({ length: queryCount }, (_, q) =>
      mergeTopK(
        [...answered.values()].map((hits) => hits[q]),
        k,
      ),
    );
    return { results, missingPartitions: missing };
  }

  private queries(library: LibraryRecord, body: SearchBody): Float32Array {
    const dim = library.dimension;
    if ((body.vector === undefined) === (body.vectors === undefined)) {
      throw invalidField("vector", "or vectors is required (exactly one of them)");
    }
    const rows = body.vector ? [body.vector] : (body.vectors as number[][]);
    const field = body.vector ? () => "vector" : (i: number) => `vectors[${i}]`;
    const out = new Float32Array(rows.length * dim);
    rows.forEach((row, i) => {
      if (row.length !== dim) {
        throw invalidField(
          field(i),
          `has ${row.length} values; the library has dimension ${dim}`,
          ApiErrorCode.DimensionMismatch,
        );
      }
      for (let j = 0; j < dim; j++) {
        if (!Number.isFinite(row[j]))
          throw invalidField(
            `${field(i)}[${j}]`,
            "must be a finite number",
            ApiErrorCode.InvalidVector,
          );
      }
      out.set(row, i * dim);
    });
    return out;
  }
}

/** The k closest of several sorted lists (ties: by id, so the order is deterministic). */
export function mergeTopK(lists: ShardHit[][], k: number): SearchHit[] {
  const all = lists.flat();
  all.sort((a, b) => a.distance - b.distance || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return all.slice(0, k).map((h) => {
    const hit: SearchHit = { id: h.id, distance: h.distance };
    if (h.metadata !== undefined) hit.metadata = h.metadata;
    if (h.vector !== undefined) hit.vector = h.vector;
    return hit;
  });
}
