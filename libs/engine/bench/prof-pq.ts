import { loadFashionMnist } from "@quiver/testing";
import { ProductQuantizer } from "../src/index.js";
const ds = loadFashionMnist();
const n = Number(process.env.TS ?? 20000);
const t = performance.now();
ProductQuantizer.train(ds.base, n, ds.dim, {});
console.log("train", ((performance.now() - t) / 1000).toFixed(1));
