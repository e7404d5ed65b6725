import { createServer, type Server } from "node:http";
import { freePort, type Prometheus, startPrometheus } from "@quiver/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isPolicyError, PolicyErrorCode } from "./errors.js";
import { PrometheusSource } from "./prometheus-source.js";

async function listen(handler: Parameters<typeof createServer>[1]): Promise<[Server, string]> {
  const port = await freePort();
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return [server, `http://127.0.0.1:${port}`];
}

async function failure(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isPolicyError(error), `expected a PolicyError, got ${String(error)}`).toBe(true);
  return error as Error & { code: string };
}

// The happy path (a real cluster scraped by Prometheus) is apps/cli/src/memory-pressure.int.test.ts.
describe("PrometheusSource against a real Prometheus and broken endpoints", () => {
  let prometheus: Prometheus;
  const servers: Server[] = [];
  beforeAll(async () => {
    prometheus = await startPrometheus();
  });
  afterAll(async () => {
    await prometheus?.stop();
    for (const server of servers) server.closeAllConnections();
    for (const server of servers) server.close();
  });

  it("reads nothing (but no error) from a Prometheus that scrapes no shard", async () => {
    const pressure = await new PrometheusSource({ url: prometheus.url }).read();
    expect(pressure.libraries.size).toBe(0);
    expect(pressure.shards).toEqual([]);
    expect(Math.abs(pressure.atMs - Date.now())).toBeLessThan(10_000);
  });

  it("says which query Prometheus rejected and why", async () => {
    const source = new PrometheusSource({ url: prometheus.url });
    const error = await failure(source.query("sum by (library_id (quiver_library_memory_bytes"));
    expect(error.code).toBe(PolicyErrorCode.PrometheusQueryFailed);
    expect(error.message).toMatch(/rejected the query sum by \(library_id .*HTTP 400, bad_data/);
  });

  it("says Prometheus is unreachable when nothing listens", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const error = await failure(new PrometheusSource({ url }).read());
    expect(error.code).toBe(PolicyErrorCode.PrometheusUnavailable);
    expect(error.message).toBe(`Prometheus at ${url} is unreachable (ECONNREFUSED)`);
  });

  it("says when the answer is not Prometheus's and when none comes in time", async () => {
    const [html, htmlUrl] = await listen((_, response) => {
      response.writeHead(200, { "content-type": "text/html" }).end("<html>hello</html>");
    });
    const [silent, silentUrl] = await listen(() => undefined); // never answers
    servers.push(html, silent);
    const notJson = await failure(new PrometheusSource({ url: htmlUrl }).read());
    expect(notJson.code).toBe(PolicyErrorCode.PrometheusUnavailable);
    expect(notJson.message).toMatch(/answered something that is not JSON/);
    const started = Date.now();
    const late = await failure(new PrometheusSource({ url: silentUrl, timeoutMs: 300 }).read());
    expect(late.code).toBe(PolicyErrorCode.PrometheusUnavailable);
    expect(late.message).toBe(`Prometheus at ${silentUrl} did not answer within 300 ms`);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
