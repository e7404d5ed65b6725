// Starts a TypeScript worker module: the coordinator runs from source under tsx (its loader does
// not reach worker threads by itself), or from built JavaScript.
import { workerData } from "node:worker_threads";

if (workerData.entry.endsWith(".ts")) {
  const { tsImport } = await import("tsx/esm/api");
  await tsImport(workerData.entry, import.meta.url);
} else {
  await import(workerData.entry);
}
