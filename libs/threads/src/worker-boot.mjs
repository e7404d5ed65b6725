// Worker threads cannot load TypeScript by themselves: this entry loads the worker's .ts module
// through tsx, under `node --import tsx` and under vitest alike.
import { workerData } from "node:worker_threads";
import { tsImport } from "tsx/esm/api";

await tsImport(workerData.entry, import.meta.url);
