import { createServer, type Server } from "node:http";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "./free-port.js";
import { type Prometheus, startPrometheus } from "./prometheus.js";

/** A tiny exporter: `quiver_harness_value{source="..."} <value>` in the text format. */
async function exporter(
  source: string,
  value: () => number,
): Promise<{ url: string; server: Server }> {
  const port = await freePort();
  const server = createServer((request, response) => {
    if (request.url !== "/custom/metrics") {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
    response.end(
      `# HELP quiver_harness_value A test value.\n# TYPE quiver_harness_value gauge\nquiver_harness_value{source="${source}"} ${value()}\n`,
    );
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${port}/custom/metrics`, server };
}

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(prometheus: Prometheus, promql: string): Promise<Sample[]> {
  const response = await fetch(
    `${prometheus.url}/api/v1/query?query=${encodeURIComponent(promql)}`,
  );
  const body = (await response.json()) as { status: string; data: { result: Sample[] } };
  expect(body.status).toBe("success");
  return body.data.result;
}

async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.each(["container", "process"] as const)("prometheus harness (%s)", (mode) => {
  let prometheus: Prometheus | undefined;
  const servers: Server[] = [];
  afterAll(async () => {
    await prometheus?.stop();
    for (const server of servers) server.close();
  });

  it("scrapes a target under its job label and picks up new targets while running", async () => {
    let value = 41;
    const first = await exporter("first", () => value);
    const second = await exporter("second", () => 7);
    servers.push(first.server, second.server);
    prometheus = await startPrometheus({
      mode,
      targets: [{ job: "harness-a", urls: [first.url] }],
      scrapeIntervalMs: 500,
    });
    expect(prometheus.mode).toBe(mode);
    expect((await fetch(`${prometheus.url}/-/ready`)).status).toBe(200);

    value = 42;
    const scraped = await eventually(
      () => query(prometheus!, "quiver_harness_value"),
      (result) => result.length === 1 && result[0].value[1] === "42",
    );
    expect(scraped).toHaveLength(1);
    expect(scraped[0].metric).toMatchObject({ job: "harness-a", source: "first" });
    expect(scraped[0].value[1]).toBe("42");

    prometheus.setTargets([
      { job: "harness-a", urls: [first.url] },
      { job: "harness-b", urls: [second.url] },
    ]);
    const both = await eventually(
      () => query(prometheus!, "sum by (job) (quiver_harness_value)"),
      (result) => result.length === 2,
    );
    expect(Object.fromEntries(both.map((s) => [s.metric.job, Number(s.value[1])]))).toEqual({
      "harness-a": 42,
      "harness-b": 7,
    });

    const url = prometheus.url;
    await prometheus.stop();
    prometheus = undefined;
    await expect(fetch(`${url}/-/ready`)).rejects.toThrow();
  });
});
