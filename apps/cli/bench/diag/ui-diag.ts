// temporary diagnostic (not committed): where slow searches under ingest spend their time
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, request } from "node:http";
import { QuiverClient } from "@quiver/api";
import { loadFashionMnist } from "@quiver/testing";
import { startQuiver } from "../quiver-process.js";
import { loadedLibrary, HNSW } from "../cluster/library-setup.js";
import { startIngestLoad } from "../load/children.js";

const data = loadFashionMnist();
const q = await startQuiver(mkdtempSync(join(tmpdir(), "uidiag-")), {
  QUIVER_SERVER_TIMING: "1",
  ...(process.env.DIAG_ENV ? JSON.parse(process.env.DIAG_ENV) : {}),
});
const client = new QuiverClient({ url: q.url, timeoutMs: 600_000 });
const searched = await loadedLibrary(client, "searched", data, 10_000, 2);
const dim = data.dim;
const bodies = Array.from({ length: 500 }, (_, i) =>
  Buffer.from(JSON.stringify({ vector: Array.from(data.queries.subarray(i * dim, (i + 1) * dim)), k: 10, include_metadata: false })),
);
const url = new URL(`${q.url}/v1/libraries/${searched}/search`);
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const post = (body: Buffer) =>
  new Promise<{ ms: number; timing: string }>((resolve) => {
    const t = performance.now();
    const req = request(url, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": body.length } }, (res) => {
      res.resume();
      res.on("end", () => resolve({ ms: performance.now() - t, timing: String(res.headers["server-timing"]) }));
    });
    req.end(body);
  });
async function loop(seconds: number) {
  const out: { ms: number; timing: string }[] = [];
  const end = performance.now() + seconds * 1000;
  let n = 0;
  while (performance.now() < end) out.push(await post(bodies[n++ % bodies.length]));
  return out;
}
function report(name: string, rows: { ms: number; timing: string }[]) {
  const s = rows.map((r) => r.ms).sort((a, b) => a - b);
  const p = (x: number) => s[Math.min(s.length - 1, Math.floor(x * s.length))].toFixed(1);
  console.log(`${name}: n=${s.length} p50=${p(0.5)} p90=${p(0.9)} p99=${p(0.99)} max=${s[s.length - 1].toFixed(1)}`);
  const slow = rows.filter((r) => r.ms > Number(p(0.97)));
  const sums = new Map<string, number>();
  for (const r of slow) for (const part of r.timing.split(", ")) { const [k, v] = part.split(";dur="); sums.set(k, (sums.get(k) ?? 0) + Number(v)); }
  console.log(`  slowest 3% (${slow.length}): mean client ${(slow.reduce((a, r) => a + r.ms, 0) / slow.length).toFixed(1)} ms; server phases mean: ${[...sums].map(([k, v]) => `${k} ${(v / slow.length).toFixed(2)}`).join(", ")}`);
}
report("idle", await loop(8));
const lib = await client.createLibrary({ name: "ingested", dimension: dim, metric: data.metric, hnsw_config: HNSW, partitions: 2 });
const ingest = startIngestLoad({ url: q.url, libraryId: lib.id, count: 10_000_000, batch: 500, inFlight: 4 }, 10);
await new Promise((r) => setTimeout(r, 3000));
report("ingest", await loop(10));
console.log(await ingest.stop());
await q.stop();
