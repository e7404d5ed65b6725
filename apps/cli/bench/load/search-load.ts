// A search load from a process of its own (so that the bench's other work does not delay it):
// `connections` keep-alive loops POST queries to one library for `durationS` seconds and each
// request's latency is measured here, to the microsecond. Prints one JSON line of figures.
// node --import tsx search-load.ts <json options>
import { Agent, request } from "node:http";
import { loadFashionMnist } from "@quiver/testing";

export interface SearchLoadOptions {
  url: string;
  libraryId: string;
  connections: number;
  durationS: number;
  /** Queries: Fashion-MNIST test rows (cycled). */
  queries: number;
  k?: number;
  ef?: number;
  /** Seconds of load before the measured window. */
  warmUpS?: number;
  /** Queries per request (`vectors[]`); 1 (default) sends `vector`. */
  batch?: number;
}

export interface SearchLoadResult {
  requests: number;
  /** Queries answered per second (requests x batch). */
  queries_per_s: number;
  errors: number;
  qps: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted.length === 0
    ? 0
    : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function run(options: SearchLoadOptions): Promise<SearchLoadResult> {
  const data = loadFashionMnist();
  const dim = data.dim;
  const batch = options.batch ?? 1;
  const count = Math.min(options.queries, data.queryCount);
  const row = (q: number) => Array.from(data.queries.subarray(q * dim, (q + 1) * dim));
  const bodies = Array.from({ length: count }, (_, q) =>
    Buffer.from(
      JSON.stringify({
        ...(batch === 1
          ? { vector: row(q) }
          : { vectors: Array.from({ length: batch }, (_, i) => row((q + i) % count)) }),
        k: options.k ?? 10,
        ...(options.ef ? { ef: options.ef } : {}),
        include_metadata: false,
      }),
    ),
  );
  const url = new URL(`${options.url}/v1/libraries/${options.libraryId}/search`);
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const post = (body: Buffer) =>
    new Promise<number>((resolve) => {
      const req = request(
        url,
        {
          method: "POST",
          agent,
          headers: { "content-type": "application/json", "content-length": body.length },
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        },
      );
      req.on("error", () => resolve(0));
      req.end(body);
    });
  const latencies: number[] = [];
  let errors = 0;
  let n = 0;
  const warmUpEnd = performance.now() + (options.warmUpS ?? 1) * 1000;
  const end = warmUpEnd + options.durationS * 1000;
  await Promise.all(
    Array.from({ length: options.connections }, async () => {
      while (performance.now() < end) {
        const started = performance.now();
        const status = await post(bodies[n++ % bodies.length]);
        if (started < warmUpEnd) continue;
        if (status !== 200) errors++;
        else latencies.push(performance.now() - started);
      }
    }),
  );
  agent.destroy();
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: latencies.length,
    queries_per_s: (latencies.length * batch) / options.durationS,
    errors,
    qps: latencies.length / options.durationS,
    p50_ms: percentile(sorted, 0.5),
    p99_ms: percentile(sorted, 0.99),
    max_ms: sorted.length ? sorted[sorted.length - 1] : 0,
  };
}

if (process.argv[2]) {
  const result = await run(JSON.parse(process.argv[2]) as SearchLoadOptions);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
