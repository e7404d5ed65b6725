// Cost of one float32 distance in the batch kernel, records from memory (random ids over a
// 60k x 784 arena) or from cache (the same 32 records), with and without the touch pass:
//   node --import tsx bench/kernel-distance.ts
import { KernelMemory } from "../src/kernels/kernel-memory.js";
import { Rng } from "../src/index.js";

const N = 60_000;
const DIM = 784;
const BATCH = 16;
const mem = new KernelMemory();
const q = mem.alloc(DIM * 4);
const ids = mem.alloc(BATCH * 4);
const out = mem.alloc(BATCH * 4);
const base = mem.alloc(N * DIM * 4);
const rng = new Rng(1);
for (let i = 0; i < N * DIM; i++) mem.f32[(base >> 2) + i] = rng.int(256);
for (let d = 0; d < DIM; d++) mem.f32[(q >> 2) + d] = rng.int(256);
const random = new Uint32Array(1 << 20).map(() => rng.int(N));
const k = mem.kernels;
const variants = {
  // l2_f32_batch touches every cache line of the batch before computing
  "touch pass": () => k.l2_f32_batch(q, ids, BATCH, base, DIM * 4, DIM, out),
  // f32_first_closer with limit -inf computes the same distances without touching ahead
  "no touch pass": () => k.f32_first_closer(q, ids, BATCH, base, DIM * 4, DIM, 0, 0, -Infinity),
};
for (const [name, run] of Object.entries(variants)) {
  for (const where of ["memory", "cache"]) {
    const times: number[] = [];
    for (let rep = 0; rep < 5; rep++) {
      const calls = 20_000;
      let r = 0;
      const t0 = process.hrtime.bigint();
      for (let c = 0; c < calls; c++) {
        for (let j = 0; j < BATCH; j++)
          mem.u32[(ids >> 2) + j] = where === "cache" ? j : random[r++ & (random.length - 1)];
        run();
      }
      times.push(Number(process.hrtime.bigint() - t0) / (calls * BATCH));
    }
    times.sort((a, b) => a - b);
    console.log(
      `${name}, records from ${where}: ${times[2].toFixed(0)} ns per distance (median of 5)`,
    );
  }
}
