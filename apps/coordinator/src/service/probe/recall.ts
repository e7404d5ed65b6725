/**
 * Recall of a search for a query drawn from the library itself: the query's own id is left out
 * of both the live and the exact list (it is its own nearest neighbour, found or not by luck of
 * the index), then recall@k is the share of the exact k nearest the live k found.
 * Undefined when the exact list holds nothing but the query.
 */
export function recallLeavingOut(
  live: readonly string[],
  exact: readonly string[],
  self: string,
  k: number,
): number | undefined {
  const expected = exact.filter((id) => id !== self).slice(0, k);
  if (expected.length === 0) return undefined;
  const found = new Set(live.filter((id) => id !== self).slice(0, k));
  let hits = 0;
  for (const id of expected) if (found.has(id)) hits++;
  return hits / expected.length;
}

/** Mean recall@k over queries (list q answers query `selves[q]`); 0 when none is measurable. */
export function meanRecallLeavingOut(
  live: readonly (readonly string[])[],
  exact: readonly (readonly string[])[],
  selves: readonly string[],
  k: number,
): number {
  let sum = 0;
  let measured = 0;
  selves.forEach((self, q) => {
    const recall = recallLeavingOut(live[q], exact[q], self, k);
    if (recall === undefined) return;
    sum += recall;
    measured++;
  });
  return measured === 0 ? 0 : sum / measured;
}
