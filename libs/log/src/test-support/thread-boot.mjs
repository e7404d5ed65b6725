// Worker threads cannot load TypeScript by themselves: this entry loads the .ts module named in
// workerData.entry through tsx (under vitest as under `node --import tsx`).
import { workerData } from "node:worker_threads";
import { tsImport } from "tsx/esm/api";

await tsImport(workerData.entry, import.meta.url);
