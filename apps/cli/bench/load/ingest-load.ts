// An ingest load from a process of its own: upserts Fashion-MNIST rows into a library through
// the HTTP API as fast as it takes them (`inFlight` requests of `batch` vectors at a time), from
// `from` on, `count` vectors (cycling ids when more than the data set), until done or SIGTERM.
// Prints one JSON line: vectors acknowledged and seconds.
// node --import tsx ingest-load.ts <json options>
import { QuiverClient } from "@quiver/api";
import { loadFashionMnist } from "@quiver/testing";

export interface IngestLoadOptions {
  url: string;
  libraryId: string;
  count: number;
  batch: number;
  inFlight: number;
  /** Id prefix of the vectors (v by default). */
  prefix?: string;
}

let stopping = false;
// before the data set loads (seconds on a busy machine): a stop asked meanwhile ends the load
// with what it acknowledged instead of killing the process
process.on("SIGTERM", () => (stopping = true));
const options = JSON.parse(process.argv[2] ?? "{}") as IngestLoadOptions;
const data = loadFashionMnist();
const dim = data.dim;
const client = new QuiverClient({ url: options.url, timeoutMs: 600_000 });
let next = 0;
let acknowledged = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: options.inFlight }, async () => {
    while (!stopping && next < options.count) {
      const start = next;
      next += options.batch;
      const end = Math.min(options.count, start + options.batch);
      const rows = [];
      for (let i = start; i < end; i++) {
        const r = i % data.baseCount;
        rows.push({
          id: `${options.prefix ?? "v"}${i}`,
          vector: data.base.subarray(r * dim, (r + 1) * dim),
        });
      }
      await client.upsert(options.libraryId, rows);
      acknowledged += rows.length;
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
process.stdout.write(`${JSON.stringify({ vectors: acknowledged, seconds })}\n`);
