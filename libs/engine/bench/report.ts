import type { AnnRow } from "./ann-task.js";

/** hnswlib-node's QPS at `recall`, interpolated on its ef sweep; null outside the sweep's range. */
export function hnswlibQpsAt(reference: AnnRow[], recall: number): number | null {
  const points = [...reference].sort((a, b) => a.recall_at_10 - b.recall_at_10);
  if (points.length === 0) return null;
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    if (p.recall_at_10 === recall) return p.qps;
    if (p.recall_at_10 > recall) {
      if (i === 0) return null;
      const lo = points[i - 1];
      const t = (recall - lo.recall_at_10) / (p.recall_at_10 - lo.recall_at_10);
      return lo.qps + t * (p.qps - lo.qps);
    }
  }
  return null;
}

/** Adds qps_ratio_vs_hnswlib to every row of one data set. */
export function addRatios(rows: AnnRow[]): void {
  const reference = rows.filter((r) => r.engine === "hnswlib-node");
  for (const row of rows) {
    const at = hnswlibQpsAt(reference, row.recall_at_10);
    row.qps_ratio_vs_hnswlib = at === null ? null : row.qps / at;
  }
}

function params(r: AnnRow): string {
  return `ef=${r.params.ef}${r.params.rerank_top_k !== undefined ? ` rerank=${r.params.rerank_top_k}` : ""}`;
}

const fixed = (x: number | null | undefined, digits: number) =>
  x === null || x === undefined || !Number.isFinite(x) ? "n/a" : x.toFixed(digits);

/** A Markdown table of one data set's rows. */
export function table(rows: AnnRow[]): string {
  const header =
    "| engine | strategy | params | build s | QPS | recall@10 | bytes/vector | RSS bytes/vector | QPS / hnswlib at same recall |";
  const lines = [header, "|---|---|---|---:|---:|---:|---:|---:|---:|"];
  for (const r of rows) {
    lines.push(
      `| ${r.engine} | ${r.strategy}${r.default_settings ? " (defaults)" : ""} | ${params(r)} | ${fixed(r.build_s, 1)} | ` +
        `${fixed(r.qps, 0)} | ${fixed(r.recall_at_10, 4)} | ${fixed(r.bytes_per_vector, 0)} | ` +
        `${fixed(r.rss_bytes_per_vector, 0)} | ${fixed(r.qps_ratio_vs_hnswlib, 2)} |`,
    );
  }
  return lines.join("\n");
}

/** The figures the engine's acceptance is judged on, for one data set. */
export function summary(rows: AnnRow[]): string[] {
  const out: string[] = [];
  const hnswlib = rows.filter((r) => r.engine === "hnswlib-node");
  const quiver = (s: string) => rows.filter((r) => r.engine === "quiver" && r.strategy === s);
  const none = quiver("none");
  const f32 = none[0];
  if (hnswlib.length && f32)
    out.push(
      `build time quiver(none) / hnswlib-node: ${fixed(f32.build_s / hnswlib[0].build_s, 2)}`,
    );
  const ratios = (list: AnnRow[], minRecall: number) =>
    list
      .filter((r) => r.recall_at_10 >= minRecall && r.qps_ratio_vs_hnswlib != null)
      .map(
        (r) =>
          `${params(r)}: recall ${fixed(r.recall_at_10, 4)} ratio ${fixed(r.qps_ratio_vs_hnswlib, 2)}`,
      );
  out.push(`none, recall >= 0.95, QPS / hnswlib-node: ${ratios(none, 0.95).join("; ") || "n/a"}`);
  out.push(
    `hybrid-scalar, recall >= 0.98, QPS / hnswlib-node: ${ratios(quiver("hybrid-scalar"), 0.98).join("; ") || "n/a"}`,
  );
  for (const s of ["none", "scalar", "product", "hybrid-scalar", "hybrid-product"]) {
    const d = quiver(s).find((r) => r.default_settings);
    if (d) {
      const ratio = f32 ? d.bytes_per_vector / f32.bytes_per_vector : NaN;
      out.push(
        `${s} at defaults: recall@10 ${fixed(d.recall_at_10, 4)}, ${fixed(d.bytes_per_vector, 0)} bytes/vector (${fixed(ratio, 3)}x of none)`,
      );
    }
  }
  return out;
}
