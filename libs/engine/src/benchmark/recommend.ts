/** One measured strategy, as the recommendation rule reads it. */
export interface RecommendationRow {
  strategy: string;
  memoryBytes: number;
  recall: number;
  p95LatencyMs: number;
}

export interface RecommendationInput {
  rows: RecommendationRow[];
  /** recall@10 the library needs. */
  targetRecall: number;
  /** Most bytes the library may hold in RAM, when it has a budget. */
  memoryBudgetBytes?: number;
}

export interface Recommendation {
  strategy: string;
  /** Position of the recommended row in `rows`. */
  index: number;
  reason: string;
}

/** recall@10 a recommendation aims at when the library does not set one. */
export const DEFAULT_TARGET_RECALL = 0.95;
/** Memory sizes this close (relative) count as equal; the lower p95 latency decides. */
export const MEMORY_TIE = 0.05;

/**
 * The strategy to use, and why:
 * 1. only rows within the memory budget are eligible (when none fits: the smallest one);
 * 2. of the eligible rows that reach the target recall@10, the one with the least memory, rows
 *    within 5% of that memory counting as tied and the lowest p95 latency breaking the tie;
 * 3. when none reaches the target: the highest recall@10 (ties: less memory).
 */
export function recommend(input: RecommendationInput): Recommendation {
  const { rows, targetRecall, memoryBudgetBytes } = input;
  if (rows.length === 0) throw new RangeError("recommend: no measured strategies");
  const indexed = rows.map((row, index) => ({ row, index }));
  const float32 = rows.find((r) => r.strategy === "none");
  const share = (r: RecommendationRow) =>
    float32 && float32.memoryBytes > 0
      ? ` at ${Math.round((100 * r.memoryBytes) / float32.memoryBytes)}% of float32's memory (${mb(r.memoryBytes)})`
      : ` at ${mb(r.memoryBytes)}`;
  const pick = (index: number, reason: string): Recommendation => ({
    strategy: rows[index].strategy,
    index,
    reason,
  });

  const eligible =
    memoryBudgetBytes === undefined
      ? indexed
      : indexed.filter((x) => x.row.memoryBytes <= memoryBudgetBytes);
  if (eligible.length === 0) {
    const smallest = first(indexed, (a, b) => a.row.memoryBytes - b.row.memoryBytes);
    return pick(
      smallest.index,
      `no strategy fits the memory budget of ${mb(memoryBudgetBytes!)}; ${smallest.row.strategy} ` +
        `needs the least, ${mb(smallest.row.memoryBytes)}, with recall@10 ${fixed(smallest.row.recall)}`,
    );
  }
  const budget =
    memoryBudgetBytes === undefined ? "" : ` within the budget of ${mb(memoryBudgetBytes)}`;

  const meeting = eligible.filter((x) => x.row.recall >= targetRecall);
  if (meeting.length === 0) {
    const best = first(
      eligible,
      (a, b) => b.row.recall - a.row.recall || a.row.memoryBytes - b.row.memoryBytes,
    );
    return pick(
      best.index,
      `no strategy${budget} reaches the target recall@10 ${fixed(targetRecall)}; ${best.row.strategy} ` +
        `comes closest with ${fixed(best.row.recall)}${share(best.row)}`,
    );
  }
  const least = first(meeting, (a, b) => a.row.memoryBytes - b.row.memoryBytes).row.memoryBytes;
  const tied = meeting.filter((x) => x.row.memoryBytes <= least * (1 + MEMORY_TIE));
  const chosen = first(tied, (a, b) => a.row.p95LatencyMs - b.row.p95LatencyMs);
  const parts = [
    `${chosen.row.strategy}: recall@10 ${fixed(chosen.row.recall)} >= target ${fixed(targetRecall)}` +
      `${share(chosen.row)}${budget}`,
  ];
  if (tied.length > 1)
    parts.push(
      `lowest p95 latency (${chosen.row.p95LatencyMs.toFixed(2)} ms) of the strategies within ` +
        `${MEMORY_TIE * 100}% of its memory`,
    );
  const smaller = eligible
    .filter((x) => x.row.memoryBytes < chosen.row.memoryBytes && x.row.recall < targetRecall)
    .sort((a, b) => a.row.memoryBytes - b.row.memoryBytes);
  if (smaller.length > 0)
    parts.push(
      smaller
        .map((x) => `${x.row.strategy} is smaller but reaches only ${fixed(x.row.recall)}`)
        .join("; "),
    );
  return pick(chosen.index, parts.join("; "));
}

/** The first item in `compare`'s order (the earliest of equals). */
function first<T>(items: T[], compare: (a: T, b: T) => number): T {
  let best = items[0];
  for (const item of items) if (compare(item, best) < 0) best = item;
  return best;
}

function fixed(x: number): string {
  return x.toFixed(3);
}

function mb(bytes: number): string {
  const v = bytes / 1e6;
  return `${v < 10 ? v.toFixed(2) : v.toFixed(1)} MB`;
}
