// Pure helpers of bench:service: recall, percentiles, the best point of an ef sweep, the
// Server-Timing header as the benchmark reads it, per-phase statistics and Markdown tables.

/** recall@k of `found` (ids per query, best first) against exact neighbours (k per query). */
export function recallAtK(found: ArrayLike<number>[], truth: Uint32Array, k: number): number {
  if (found.length === 0) return 0;
  let hits = 0;
  found.forEach((ids, q) => {
    const want = new Set(truth.subarray(q * k, (q + 1) * k));
    const n = Math.min(k, ids.length);
    for (let i = 0; i < n; i++) if (want.has(ids[i])) hits++;
  });
  return hits / (found.length * k);
}

/** The p-th percentile (0-100) of ascending `sorted` (nearest rank); NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export interface LatencySummary {
  mean_ms: number;
  p50_ms: number;
  p99_ms: number;
}

export function summarize(values: number[]): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    mean_ms: sorted.length ? sum / sorted.length : Number.NaN,
    p50_ms: percentile(sorted, 50),
    p99_ms: percentile(sorted, 99),
  };
}

/** The median of `values` (the mean of the middle two for an even count); NaN when empty. */
export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** One measured point of a sweep. */
export interface SweepPoint {
  system: string;
  connections: number;
  ef: number;
  rerank_top_k?: number;
  qps: number;
  recall_at_10: number;
}

/** The point of highest QPS among those with recall >= minRecall (undefined: none reaches it). */
export function bestAtRecall<T extends SweepPoint>(points: T[], minRecall: number): T | undefined {
  let best: T | undefined;
  for (const p of points) {
    if (p.recall_at_10 < minRecall) continue;
    if (!best || p.qps > best.qps) best = p;
  }
  return best;
}

/** a / b, or undefined when either is missing. */
export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
}

/** `parse;dur=0.052, validate;dur=0.310;desc="x"` -> { parse: 0.052, validate: 0.31 }. */
export function parseServerTiming(header: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (!header) return out;
  for (const metric of header.split(",")) {
    const [name, ...params] = metric.trim().split(";");
    if (!name) continue;
    let dur = 0;
    for (const param of params) {
      const [key, value] = param.trim().split("=");
      if (key === "dur" && value !== undefined) dur = Number(value);
    }
    if (Number.isFinite(dur)) out[name.trim()] = (out[name.trim()] ?? 0) + dur;
  }
  return out;
}

/** Per phase: mean, p50 and p99 over the requests (a phase a request lacks counts as 0). */
export function phaseStats(
  samples: Record<string, number>[],
  phases: string[],
): Record<string, LatencySummary> {
  const out: Record<string, LatencySummary> = {};
  for (const phase of phases) out[phase] = summarize(samples.map((s) => s[phase] ?? 0));
  return out;
}

/** A Markdown table; numbers right-aligned. */
export function markdownTable(header: string[], rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map(String));
  const width = header.map((h, i) => Math.max(h.length, 3, ...cells.map((r) => r[i].length)));
  const numeric = header.map((_, i) =>
    rows.every((r) => typeof r[i] === "number" || /^[\d.,x-]+$|^n\/a$/.test(String(r[i]))),
  );
  const line = (r: string[]) =>
    `| ${r.map((c, i) => (numeric[i] ? c.padStart(width[i]) : c.padEnd(width[i]))).join(" | ")} |`;
  const rule = `| ${width.map((w, i) => (numeric[i] ? "-".repeat(w - 1) + ":" : "-".repeat(w))).join(" | ")} |`;
  return [line(header), rule, ...cells.map(line)].join("\n");
}

/** 1234.5 -> "1,235"; undefined -> "n/a". */
export function fmtInt(n: number | undefined): string {
  return n === undefined || !Number.isFinite(n) ? "n/a" : Math.round(n).toLocaleString("en-US");
}

export function fmt(n: number | undefined, digits: number): string {
  return n === undefined || !Number.isFinite(n) ? "n/a" : n.toFixed(digits);
}
