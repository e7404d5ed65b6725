// Quiver's side of bench:service: load over HTTP until applied, searches through the API (one
// pass for recall, autocannon for QPS and latency), and per-request phases from Server-Timing.
import type { IncomingHttpHeaders } from "node:http";
import type { CreateLibraryBody, QuiverClient } from "@quiver/api";
import type { Dataset } from "@quiver/testing";
import autocannon from "autocannon";
import { upsertAll } from "./http-ingest.js";
import { parseServerTiming, summarize, type LatencySummary } from "./service-report.js";

export interface QuiverLibrary {
  id: string;
  /** From the first upsert until every vector is applied (and the quantizer trained). */
  build_s: number;
  /** Statistics' memory_usage.bytes.total once built. */
  memory_bytes: number;
}

export async function loadLibrary(
  client: QuiverClient,
  data: Dataset,
  body: CreateLibraryBody,
  /** Wait until the quantizer is trained too. */
  trained: boolean,
): Promise<QuiverLibrary> {
  const lib = await client.createLibrary(body);
  const started = performance.now();
  // up to ~2 MB of JSON per request, as bench:cluster sends
  const batch = Math.max(100, Math.min(1000, Math.floor(2_000_000 / (data.dim * 10))));
  await upsertAll(client, lib.id, data, { batch });
  for (;;) {
    const stats = await client.statistics(lib.id);
    // a quantized library smaller than its training sample stays "training" (exact search)
    if (stats.num_vectors === data.baseCount && (stats.state === "serving" || !trained)) {
      return {
        id: lib.id,
        build_s: (performance.now() - started) / 1000,
        memory_bytes: stats.memory_usage.bytes.total,
      };
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The search request bodies for one sweep point, one per query. */
export function searchBodies(data: Dataset, params: Record<string, number>): string[] {
  return Array.from({ length: data.queryCount }, (_, q) =>
    JSON.stringify({
      vector: Array.from(data.queries.subarray(q * data.dim, (q + 1) * data.dim)),
      k: 10,
      include_metadata: false,
      ...params,
    }),
  );
}

/** Every query once, one after another: the ids answered (as row numbers, `v<i>` -> i). */
export async function answers(
  url: string,
  libraryId: string,
  bodies: string[],
): Promise<number[][]> {
  const out: number[][] = [];
  for (const body of bodies) {
    const res = await fetch(`${url}/v1/libraries/${libraryId}/search`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    if (!res.ok) throw new Error(`search answered ${res.status}: ${await res.text()}`);
    const json = (await res.json()) as { results: { id: string }[] };
    out.push(json.results.map((h) => Number(h.id.slice(1))));
  }
  return out;
}

export interface CannonResult extends LatencySummary {
  connections: number;
  qps: number;
  requests: number;
  errors: number;
  /** Server-Timing phases of every answered request (when asked for). */
  phases?: Record<string, number>[];
}

/** autocannon on the search endpoint for `durationS`, the bodies in turn. */
export function cannon(
  url: string,
  libraryId: string,
  bodies: string[],
  connections: number,
  durationS: number,
  collectTimings = false,
): Promise<CannonResult> {
  return cannonOn(
    url,
    `/v1/libraries/${libraryId}/search`,
    bodies,
    connections,
    durationS,
    collectTimings,
  );
}

/** autocannon on `path`: POST of the bodies in turn, or GET when there are none. */
export function cannonOn(
  url: string,
  path: string,
  bodies: string[],
  connections: number,
  durationS: number,
  collectTimings = false,
): Promise<CannonResult> {
  let n = 0;
  const latencies: number[] = [];
  const phases: Record<string, number>[] = [];
  return new Promise((resolvePromise, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        duration: durationS,
        requests: [
          {
            path,
            ...(bodies.length > 0
              ? {
                  method: "POST" as const,
                  headers: { "content-type": "application/json" },
                  setupRequest: (req) => ({ ...req, body: bodies[n++ % bodies.length] }),
                }
              : { method: "GET" as const }),
            ...(collectTimings && {
              onResponse: (
                status: number,
                _body: string,
                _ctx: object,
                headers?: IncomingHttpHeaders,
              ) => {
                if (status === 200) {
                  const header = headers?.["server-timing"];
                  phases.push(parseServerTiming(Array.isArray(header) ? header.join(",") : header));
                }
              },
            }),
          },
        ],
      },
      (error, result) => {
        if (error) return reject(error);
        resolvePromise({
          connections,
          qps: latencies.length / result.duration,
          requests: latencies.length,
          errors: result.errors + result.non2xx,
          ...summarize(latencies),
          ...(collectTimings && { phases }),
        });
      },
    );
    // autocannon's own percentiles are whole milliseconds: keep each response's time
    instance.on("response", (_client, status, _bytes, ms) => {
      if (status === 200) latencies.push(ms);
    });
  });
}
