/** One strategy on the chart. */
export interface ChartPoint {
  strategy: string;
  memoryMb: number;
  recall: number;
  avgLatencyMs: number;
  recommended: boolean;
}

interface Axis {
  label: string;
  min: number;
  max: number;
  ticks: number[];
}

const PANEL_W = 440;
const PANEL_H = 340;
const MARGIN = { left: 64, right: 24, top: 48, bottom: 56 };
const WIDTH = 2 * PANEL_W;
const HEIGHT = PANEL_H + 40;

/**
 * The picture a user decides from: two panels, recall@10 against memory (MB) and against average
 * latency (ms), one labelled point per strategy, the recommended one highlighted. Plain SVG text.
 */
export function benchmarkChart(points: ChartPoint[], title: string): string {
  const recallAxis = axis(
    "recall@10",
    points.map((p) => p.recall),
    { ceiling: 1 },
  );
  const panels = [
    { title: "recall@10 vs memory", label: "memory (MB)", x: (p: ChartPoint) => p.memoryMb },
    {
      title: "recall@10 vs average latency",
      label: "avg latency (ms)",
      x: (p: ChartPoint) => p.avgLatencyMs,
    },
  ].map((spec, i) =>
    panel(
      i * PANEL_W,
      spec.title,
      axis(spec.label, points.map(spec.x), { fromZero: true }),
      recallAxis,
      points.map((p) => ({ x: spec.x(p), y: p.recall, point: p })),
    ),
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${escape(title)}</text>`,
    ...panels,
    `</svg>`,
    "",
  ].join("\n");
}

function panel(
  left: number,
  title: string,
  xAxis: Axis,
  yAxis: Axis,
  data: { x: number; y: number; point: ChartPoint }[],
): string {
  const x0 = left + MARGIN.left;
  const x1 = left + PANEL_W - MARGIN.right;
  const y0 = 20 + PANEL_H - MARGIN.bottom;
  const y1 = 20 + MARGIN.top;
  const sx = (v: number) => x0 + ((v - xAxis.min) / (xAxis.max - xAxis.min)) * (x1 - x0);
  const sy = (v: number) => y0 - ((v - yAxis.min) / (yAxis.max - yAxis.min)) * (y0 - y1);
  const out = [
    `<g class="panel">`,
    `<text x="${(x0 + x1) / 2}" y="${y1 - 14}" text-anchor="middle" font-weight="bold">${escape(title)}</text>`,
    `<line class="axis" x1="${x0}" y1="${y0}" x2="${x1}" y2="${y0}" stroke="black"/>`,
    `<line class="axis" x1="${x0}" y1="${y0}" x2="${x0}" y2="${y1}" stroke="black"/>`,
  ];
  for (const t of xAxis.ticks) {
    const x = fmt(sx(t));
    out.push(
      `<line class="tick" x1="${x}" y1="${y0}" x2="${x}" y2="${y0 + 5}" stroke="black"/>`,
      `<text class="tick-label" x="${x}" y="${y0 + 18}" text-anchor="middle">${tickText(t)}</text>`,
    );
  }
  for (const t of yAxis.ticks) {
    const y = fmt(sy(t));
    out.push(
      `<line class="tick" x1="${x0 - 5}" y1="${y}" x2="${x0}" y2="${y}" stroke="black"/>`,
      `<line class="grid" x1="${x0}" y1="${y}" x2="${x1}" y2="${y}" stroke="#e5e5e5"/>`,
      `<text class="tick-label" x="${x0 - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${tickText(t)}</text>`,
    );
  }
  out.push(
    `<text class="axis-label" x="${(x0 + x1) / 2}" y="${y0 + 40}" text-anchor="middle">${escape(xAxis.label)}</text>`,
    `<text class="axis-label" x="${left + 16}" y="${(y0 + y1) / 2}" text-anchor="middle" transform="rotate(-90 ${left + 16} ${(y0 + y1) / 2})">${escape(yAxis.label)}</text>`,
  );
  const placed: { x: number; y: number }[] = [];
  for (const { x, y, point } of data) {
    // points close together (hybrid next to its codes) get their labels stacked, not overprinted
    const lx = sx(x) + 10;
    let ly = sy(y) - 8;
    while (placed.some((p) => Math.abs(p.x - lx) < 90 && Math.abs(p.y - ly) < 14)) ly += 14;
    placed.push({ x: lx, y: ly });
    const cx = fmt(sx(x));
    const cy = fmt(sy(y));
    const cls = point.recommended ? "point recommended" : "point";
    const style = point.recommended
      ? `r="8" fill="#d62728" stroke="black" stroke-width="2"`
      : `r="5" fill="#1f77b4"`;
    const label = point.recommended ? `${point.strategy} (recommended)` : point.strategy;
    if (ly !== sy(y) - 8)
      out.push(
        `<line class="leader" x1="${cx}" y1="${cy}" x2="${fmt(lx - 2)}" y2="${fmt(ly - 4)}" stroke="#999"/>`,
      );
    out.push(
      `<circle class="${cls}" data-strategy="${escape(point.strategy)}" cx="${cx}" cy="${cy}" ${style}/>`,
      `<text class="point-label" x="${fmt(lx)}" y="${fmt(ly)}"${point.recommended ? ' font-weight="bold"' : ""}>${escape(label)}</text>`,
    );
  }
  out.push(`</g>`);
  return out.join("\n");
}

/**
 * An axis over `values` with about five round ticks; `fromZero` axes start at 0 and leave room
 * right of the largest value for its label; `ceiling` caps the last tick (recall is at most 1).
 */
export function axis(
  label: string,
  values: number[],
  options: { fromZero?: boolean; ceiling?: number } = {},
): Axis {
  let lo = options.fromZero ? 0 : Math.min(...values);
  let hi = Math.max(...values) * (options.fromZero ? 1.15 : 1);
  if (!(hi - lo > 1e-9)) {
    const pad = (Math.abs(hi) || 1) * 0.01;
    if (!options.fromZero) lo -= pad;
    hi += pad;
  }
  const step = niceStep((hi - lo) / 5);
  const min = Math.floor(lo / step + 1e-9) * step;
  let max = Math.ceil(hi / step - 1e-9) * step;
  if (options.ceiling !== undefined) max = Math.max(min + step, Math.min(max, options.ceiling));
  const ticks: number[] = [];
  for (let t = min; t <= max + step * 1e-6; t += step) ticks.push(roundTo(t, step));
  return { label, min: ticks[0], max: ticks[ticks.length - 1], ticks };
}

function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
}

function roundTo(v: number, step: number): number {
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(v.toFixed(digits));
}

function tickText(v: number): string {
  return String(Number(v.toPrecision(6)));
}

function fmt(v: number): string {
  return v.toFixed(1);
}

function escape(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}
