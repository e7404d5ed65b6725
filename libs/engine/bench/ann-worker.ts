// Benchmarks one engine configuration in a process of its own (so that RSS growth and JIT state
// belong to it alone) and sends its rows to the parent (ann.ts).
import {
  HnswIndex,
  HybridIndex,
  InMemoryOriginals,
  ProductQuantizer,
  recallAtK,
  ScalarQuantizer,
  type StoreSpec,
} from "../src/index.js";
import type { AnnRow, AnnTask } from "./ann-task.js";
import { groundTruth, isDatasetName, loadDataset, TRUTH_K } from "./datasets.js";
import { CALIBRATION_SAMPLES, queryOf, sampleRows, TRAINING_SAMPLES } from "./bench-data.js";
import { buildHnswlib, buildUsearch, type PeerIndex } from "./peers.js";

const DEFAULT_EF = 64;
const DEFAULT_RERANK = 100;

const task = JSON.parse(process.argv[2]) as AnnTask;
if (!isDatasetName(task.dataset)) throw new Error(`unknown data set ${task.dataset}`);
const data = loadDataset(task.dataset, task.base, task.queries);
const truth = groundTruth(data);
const dim = data.dim;
const n = data.baseCount;

/** RSS after garbage collection has settled (ArrayBuffers are released asynchronously). */
async function rss(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 50));
  }
  return process.memoryUsage().rss;
}

/** Runs every query `repeats` times; returns the median QPS and the ids of the last run. */
function measure(search: (q: number) => ArrayLike<number>): {
  qps: number;
  runs: number[];
  recall: number;
} {
  const runs: number[] = [];
  let found: ArrayLike<number>[] = [];
  for (let r = 0; r < task.repeats; r++) {
    found = new Array(data.queryCount);
    const t0 = performance.now();
    for (let q = 0; q < data.queryCount; q++) found[q] = search(q);
    runs.push(data.queryCount / ((performance.now() - t0) / 1000));
  }
  const sorted = [...runs].sort((a, b) => a - b);
  return {
    qps: sorted[Math.floor(sorted.length / 2)],
    runs,
    recall: recallAtK(found, truth, TRUTH_K, task.k),
  };
}

function emit(row: AnnRow): void {
  process.send?.(row);
}

function quiverStorage(strategy: string): StoreSpec {
  if (strategy === "none") return { kind: "f32" };
  if (strategy === "scalar") {
    const sample = sampleRows(data, CALIBRATION_SAMPLES);
    return { kind: "scalar", quantizer: ScalarQuantizer.train(sample.rows, sample.count, dim) };
  }
  if (strategy === "product") {
    const sample = sampleRows(data, TRAINING_SAMPLES);
    return { kind: "product", quantizer: ProductQuantizer.train(sample.rows, sample.count, dim) };
  }
  throw new Error(`unknown Quiver strategy ${strategy}`);
}

async function benchQuiver(): Promise<void> {
  // The originals stand for the shard's LMDB: there for every strategy, not part of the index.
  const originals = new InMemoryOriginals(dim, n);
  for (let i = 0; i < n; i++) originals.set(i, data.base.subarray(i * dim, (i + 1) * dim));
  const before = await rss();
  const t0 = performance.now();
  const index = new HnswIndex({
    dim,
    metric: data.metric,
    m: task.m,
    efConstruction: task.efConstruction,
    storage: quiverStorage(task.strategy),
    capacity: n,
    // PQ reconstructions are too coarse to choose links on (docs/engine.md)
    originals: task.strategy === "product" ? originals : undefined,
  });
  for (let i = 0; i < n; i++) index.upsert(i, data.base.subarray(i * dim, (i + 1) * dim));
  const buildS = (performance.now() - t0) / 1000;
  const rssPerVector = ((await rss()) - before) / n;
  const bytesPerVector = index.memoryUsage().total / n;
  const base = {
    dataset: data.name,
    engine: "quiver",
    build_s: buildS,
    rss_bytes_per_vector: rssPerVector,
  };
  const run = (
    strategy: string,
    target: Pick<HybridIndex, "search">,
    ef: number,
    rerank?: number,
    originalsBytes?: number,
  ) => {
    const m = measure(
      (q) =>
        target.search(queryOf(data, q), task.k, rerank ? { ef, rerankTopK: rerank } : { ef }).ids,
    );
    emit({
      ...base,
      strategy,
      params: {
        m: task.m,
        ef_construction: task.efConstruction,
        ef,
        ...(rerank ? { rerank_top_k: rerank } : {}),
      },
      qps: m.qps,
      qps_runs: m.runs,
      recall_at_10: m.recall,
      bytes_per_vector: bytesPerVector,
      ...(originalsBytes !== undefined ? { originals_bytes_per_vector: originalsBytes } : {}),
      default_settings: ef === DEFAULT_EF && (rerank === undefined || rerank === DEFAULT_RERANK),
    });
  };
  measure((q) => index.search(queryOf(data, q), task.k).ids); // warm-up
  for (const ef of task.efs) run(task.strategy, index, ef);
  if (task.strategy === "none") return;
  const hybrid = new HybridIndex({ quantized: index, originals });
  for (const rerank of task.rerankTopKs) {
    for (const ef of task.efs) {
      if (ef < rerank && !(ef === DEFAULT_EF && rerank === DEFAULT_RERANK)) continue;
      run(`hybrid-${task.strategy}`, hybrid, ef, rerank, originals.residentBytes() / n);
    }
  }
}

async function benchPeer(): Promise<void> {
  const before = await rss();
  const t0 = performance.now();
  const peer: PeerIndex =
    task.engine === "hnswlib-node"
      ? buildHnswlib(data, task.m, task.efConstruction)
      : buildUsearch(data, task.m, task.efConstruction, task.strategy);
  const buildS = (performance.now() - t0) / 1000;
  const rssPerVector = ((await rss()) - before) / n;
  peer.prepareQueries();
  for (const ef of task.efs) {
    peer.setEf(ef);
    if (ef === task.efs[0]) measure((q) => peer.search(q, task.k)); // warm-up
    const m = measure((q) => peer.search(q, task.k));
    emit({
      dataset: data.name,
      engine: task.engine,
      strategy: task.strategy,
      params: { m: task.m, ef_construction: task.efConstruction, ef },
      build_s: buildS,
      qps: m.qps,
      qps_runs: m.runs,
      recall_at_10: m.recall,
      bytes_per_vector: rssPerVector,
      rss_bytes_per_vector: rssPerVector,
    });
  }
}

if (task.engine === "quiver") await benchQuiver();
else await benchPeer();
