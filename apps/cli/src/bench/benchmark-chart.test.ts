import { describe, expect, it } from "vitest";
import { axis, benchmarkChart, type ChartPoint } from "./benchmark-chart.js";

const points: ChartPoint[] = [
  { strategy: "none", memoryMb: 197, recall: 0.998, avgLatencyMs: 0.27, recommended: false },
  { strategy: "scalar", memoryMb: 56, recall: 0.996, avgLatencyMs: 0.14, recommended: true },
  { strategy: "product", memoryMb: 15.7, recall: 0.822, avgLatencyMs: 0.11, recommended: false },
  { strategy: "hybrid<&>", memoryMb: 56.2, recall: 0.998, avgLatencyMs: 0.29, recommended: false },
];

/** Elements in document order, checking that every tag closes where it should. */
function parse(svg: string): { name: string; attrs: Record<string, string>; text: string }[] {
  const elements: { name: string; attrs: Record<string, string>; text: string }[] = [];
  const open: string[] = [];
  const tag = /<(\/?)([a-zA-Z]+)((?:\s+[a-zA-Z0-9:-]+="[^"<>]*")*)\s*(\/?)>([^<]*)/g;
  let at = 0;
  for (let m = tag.exec(svg); m; m = tag.exec(svg)) {
    expect(svg.slice(at, m.index).trim()).toBe(""); // nothing outside the tags
    at = tag.lastIndex;
    const [, closing, name, rawAttrs, selfClosing, text] = m;
    expect(text).not.toMatch(/[<>]|&(?!amp;|lt;|gt;|quot;)/);
    if (closing) {
      expect(open.pop()).toBe(name);
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of rawAttrs.matchAll(/([a-zA-Z0-9:-]+)="([^"]*)"/g)) attrs[a[1]] = a[2];
    elements.push({ name, attrs, text });
    if (!selfClosing) open.push(name);
  }
  expect(svg.slice(at).trim()).toBe("");
  expect(open).toEqual([]);
  return elements;
}

describe("benchmarkChart", () => {
  const svg = benchmarkChart(points, "fashion-mnist: 60,000 vectors");
  const elements = parse(svg);

  it("is one well-formed SVG document", () => {
    expect(elements[0].name).toBe("svg");
    expect(elements[0].attrs.xmlns).toBe("http://www.w3.org/2000/svg");
  });

  it("draws two panels with titled axes and ticks", () => {
    const texts = elements.filter((e) => e.name === "text").map((e) => e.text);
    expect(texts).toContain("recall@10 vs memory");
    expect(texts).toContain("recall@10 vs average latency");
    expect(texts).toContain("memory (MB)");
    expect(texts).toContain("avg latency (ms)");
    expect(texts.filter((t) => t === "recall@10")).toHaveLength(2);
    const ticks = elements.filter((e) => e.attrs.class === "tick-label").map((e) => e.text);
    expect(ticks).toEqual(expect.arrayContaining(["0", "100", "200", "0.8", "1"]));
  });

  it("places one labelled point per strategy and panel, by its figures", () => {
    const circles = elements.filter((e) => e.name === "circle");
    expect(circles).toHaveLength(8);
    const [memory, latency] = [circles.slice(0, 4), circles.slice(4)];
    const cx = (cs: typeof circles, i: number) => Number(cs[i].attrs.cx);
    const cy = (cs: typeof circles, i: number) => Number(cs[i].attrs.cy);
    expect(cx(memory, 0)).toBeGreaterThan(cx(memory, 1)); // none holds more than scalar
    expect(cx(memory, 1)).toBeGreaterThan(cx(memory, 2));
    expect(cx(latency, 3)).toBeGreaterThan(cx(latency, 2));
    expect(cy(memory, 2)).toBeGreaterThan(cy(memory, 0)); // lower recall is further down
    const labels = elements.filter((e) => e.attrs.class === "point-label").map((e) => e.text);
    expect(labels).toContain("hybrid&lt;&amp;&gt;");
  });

  it("highlights the recommended strategy in both panels", () => {
    const recommended = elements.filter((e) => e.attrs.class === "point recommended");
    expect(recommended.map((e) => e.attrs["data-strategy"])).toEqual(["scalar", "scalar"]);
    const labels = elements.filter((e) => e.attrs.class === "point-label").map((e) => e.text);
    expect(labels.filter((t) => t === "scalar (recommended)")).toHaveLength(2);
  });
});

describe("axis", () => {
  it("spans the values with round ticks", () => {
    expect(axis("m", [15.7, 197], { fromZero: true }).ticks).toEqual([0, 50, 100, 150, 200, 250]);
    expect(axis("r", [0.822, 0.998], { ceiling: 1 }).ticks).toEqual([0.8, 0.85, 0.9, 0.95, 1]);
  });

  it("gives one value a range of its own", () => {
    const a = axis("r", [1, 1], { ceiling: 1 });
    expect(a.max).toBe(1);
    expect(a.min).toBeLessThan(1);
  });
});
