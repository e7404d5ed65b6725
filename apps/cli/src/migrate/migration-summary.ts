import type { MigrationResponse, StatisticsResponse } from "@quiver/api";
import { formatSeconds } from "../load/progress.js";

/** What the summary compares: the library's statistics, when they were read. */
export interface SummaryInput {
  migration: MigrationResponse;
  /** Before the migration started (unknown when following one started elsewhere). */
  before: StatisticsResponse | undefined;
  after: StatisticsResponse;
}

/** Lines of text laid out in columns, each as wide as its widest cell. */
export function columns(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c])))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** The table printed when a migration ends: before/after, duration, every partition's state. */
export function migrationSummary({ migration: m, before, after }: SummaryInput): string {
  const startedMs = Date.parse(m.started_at);
  const endedMs = m.finished_at ? Date.parse(m.finished_at) : Date.now();
  const fromStrategy = String(m.from.strategy ?? "?");
  const head = `migration ${m.migration_id} of ${m.library_id}: ${m.status}${m.reason ? ` (${m.reason})` : ""}`;
  const compare = columns([
    ["", "before", "after"],
    ["strategy", before?.quantization.strategy ?? fromStrategy, after.quantization.strategy],
    ["state", before?.state ?? "-", after.state],
    ["vectors", count(before?.num_vectors), count(after.num_vectors)],
    ["memory", before?.memory_usage.total ?? "-", after.memory_usage.total],
    [
      "savings vs float32",
      before?.memory_usage.savings_vs_float32 ?? "-",
      after.memory_usage.savings_vs_float32,
    ],
    ["duration", formatSeconds((endedMs - startedMs) / 1000), ""],
  ]);
  const partitions = columns([
    ["partition", "shard", "state", "vectors"],
    ...m.partitions.map((p) => [
      String(p.partition),
      p.shard,
      p.state + (p.error ? ` (${p.error})` : ""),
      `${count(p.vectors_done)}/${count(p.vectors_total)}`,
    ]),
  ]);
  return `${head}\n\n${compare}\n\n${partitions}\n`;
}

function count(n: number | undefined): string {
  return n === undefined ? "-" : n.toLocaleString("en");
}
