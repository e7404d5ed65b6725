// npm run bench-fixed-cost -w @quiver/engine -- [--libraries N] [--dim D] [--vectors V]
// The fixed RAM cost of an index in a shared kernel workspace: builds N small indexes of each
// kind in one workspace (each library with its own trained quantizer, as a shard has), and
// reports (RSS growth - what the indexes report as memoryUsage() - the workspace's scratch) / N.
// Each kind runs in a process of its own (forked with --expose-gc, so that RSS is measured after
// full collections), after a warm-up that builds and frees a few hundred indexes.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  buildStrategyIndex,
  InMemoryOriginals,
  KernelWorkspace,
  Rng,
  type StrategyConfig,
  type StrategyIndex,
} from "../src/index.js";

const { values } = parseArgs({
  options: {
    libraries: { type: "string", default: "10000" },
    dim: { type: "string", default: "128" },
    vectors: { type: "string", default: "8" },
    kind: { type: "string" },
  },
});
const libraries = Number(values.libraries);
const dim = Number(values.dim);
const vectors = Number(values.vectors);

const hybrid: StrategyConfig = {
  strategy: "hybrid",
  initial_search: "scalar",
  rerank_top_k: 10,
  bits: 8,
  calibration_samples: vectors,
  subvectors: dim / 8,
  codebook_size: 256,
  training_samples: vectors,
};
const kinds: { name: string; strategy: StrategyConfig; indexType: "hnsw" | "flat" }[] = [
  { name: "hnsw none", strategy: { strategy: "none" }, indexType: "hnsw" },
  { name: "flat none", strategy: { strategy: "none" }, indexType: "flat" },
  {
    name: "hnsw scalar",
    strategy: { strategy: "scalar", bits: 8, calibration_samples: vectors },
    indexType: "hnsw",
  },
  { name: "hnsw hybrid(scalar), cache", strategy: hybrid, indexType: "hnsw" },
];

async function settledRss(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with node --expose-gc");
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 50));
  }
  return process.memoryUsage().rss;
}

function build(
  kind: (typeof kinds)[number],
  count: number,
  workspace: KernelWorkspace,
  rng: Rng,
): StrategyIndex[] {
  const originals = new InMemoryOriginals(dim, vectors);
  const rows = new Float32Array(vectors * dim);
  const built: StrategyIndex[] = [];
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < rows.length; j++) rows[j] = rng.next() * 2 - 1;
    if (i === 0)
      for (let v = 0; v < vectors; v++) originals.set(v, rows.subarray(v * dim, (v + 1) * dim));
    built.push(
      buildStrategyIndex(
        { dim, metric: "l2", indexType: kind.indexType, strategy: kind.strategy },
        { values: rows, count: vectors },
        { workspace, originals, float32CacheRows: 64 },
      ),
    );
  }
  // a search each, so that the caches hold rows as a serving library's would
  for (const b of built) b.index.search(rows.subarray(0, dim), 5);
  return built;
}

async function measure(kind: (typeof kinds)[number]): Promise<string> {
  const rng = new Rng(1);
  const workspace = new KernelWorkspace();
  for (const b of build(kind, 500, workspace, rng)) b.dispose();
  const before = await settledRss();
  const kept = build(kind, libraries, workspace, rng);
  const after = await settledRss();
  const figures = workspace.figures();
  let reported = figures.scratchBytes;
  for (const b of kept) reported += b.index.memoryUsage().total;
  const growth = after - before;
  return (
    `| ${kind.name} | ${((growth - reported) / libraries).toFixed(0)} | ` +
    `${(reported / libraries).toFixed(0)} | ${figures.memories} | ${(growth / 2 ** 20).toFixed(1)} |`
  );
}

if (values.kind !== undefined) {
  process.send?.(await measure(kinds[Number(values.kind)]));
} else {
  console.log(`${libraries} indexes of ${vectors} vectors of ${dim} dims per kind, one workspace`);
  console.log(
    "| kind | fixed cost bytes/index | reported bytes/index | memories | RSS growth MB |",
  );
  console.log("|---|---:|---:|---:|---:|");
  for (let k = 0; k < kinds.length; k++) {
    const line = await new Promise<string>((resolve, reject) => {
      const child = fork(
        fileURLToPath(import.meta.url),
        [...process.argv.slice(2), "--kind", String(k)],
        {
          execArgv: ["--expose-gc", "--import", "tsx"],
        },
      );
      child.on("message", (m) => resolve(String(m)));
      child.on("error", reject);
    });
    console.log(line);
  }
}
