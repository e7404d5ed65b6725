import { loadFashionMnist } from "@quiver/testing";
import { HnswIndex } from "../src/index.js";
const N = 20000;
const ds = loadFashionMnist();
const dim = ds.dim;
const idx = new HnswIndex({ dim, metric: "l2", m: 16, efConstruction: 200, capacity: N });
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const anyIdx = idx as any;
const store = anyIdx.store; const orig = store.score.bind(store);
let scoreN = 0, scoreCalls = 0;
store.score = (a: number, n: number, o: number) => { scoreN += n; scoreCalls++; orig(a, n, o); };
const pw = anyIdx.pairwise; const origP = pw.fromPointers.bind(pw);
let pairN = 0, pairCalls = 0;
pw.fromPointers = (f: number, p: ArrayLike<number>, n: number, out: Float32Array, off?: number) => { pairN += n; pairCalls++; origP(f, p, n, out, off); };
for (let i = 0; i < N; i++) idx.upsert(i, ds.base.subarray(i * dim, (i + 1) * dim));
console.log({ scorePerInsert: scoreN / N, scoreCalls: scoreCalls / N, pairPerInsert: pairN / N, pairCalls: pairCalls / N });
