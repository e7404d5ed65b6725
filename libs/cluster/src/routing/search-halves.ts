import type { PartitionSearchResult, ShardSearchRequest, ShardSearchResponse } from "@quiver/api";

/**
 * A search of several queries cut into two, the first half of the queries and the rest (e.g. 100
 * queries of 3,072 dimensions, 1.2 MB, are more than one NATS message holds); undefined for one
 * query.
 */
export function searchHalves(
  request: ShardSearchRequest,
): [ShardSearchRequest, ShardSearchRequest] | undefined {
  const count = request.queries.length / request.dimension;
  if (count < 2) return undefined;
  const cut = Math.ceil(count / 2) * request.dimension;
  return [
    { ...request, queries: request.queries.subarray(0, cut) },
    { ...request, queries: request.queries.subarray(cut) },
  ];
}

/**
 * The answers to the two halves as the answer to the whole: each partition's lists of the first
 * half then the second's; a partition that failed in either half failed. The halves ran side by
 * side: the slower one's timings are the search's.
 */
export function joinHalves(
  first: ShardSearchResponse,
  second: ShardSearchResponse,
): ShardSearchResponse {
  const rest = new Map(second.results.map((r) => [r.partition, r]));
  const results: PartitionSearchResult[] = first.results.map((a) => {
    const b = rest.get(a.partition);
    rest.delete(a.partition);
    if (a.hits && b?.hits) return { partition: a.partition, hits: [...a.hits, ...b.hits] };
    const error = a.error ??
      b?.error ?? { code: "INTERNAL", message: "the second half of the queries got no answer" };
    return { partition: a.partition, error };
  });
  for (const b of rest.values()) {
    results.push({
      partition: b.partition,
      error: b.error ?? {
        code: "INTERNAL",
        message: "the first half of the queries got no answer",
      },
    });
  }
  const timed = [first.timings, second.timings].filter((t) => t !== undefined);
  if (timed.length === 0) return { results };
  return { results, timings: timed.reduce((a, b) => (b.searchMs > a.searchMs ? b : a)) };
}
