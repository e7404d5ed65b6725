import { Gauge, type Registry } from "prom-client";

/** A worker thread's kernel workspace (the engine's WorkspaceFigures, as far as metrics go). */
export interface KernelMemoryFigures {
  memories: number;
  transientMemories: number;
  committedBytes: number;
  transientCommittedBytes: number;
  touchedBytes: number;
  regionBytes: number;
  scratchBytes: number;
  freeBytes: number;
}

/**
 * A partition worker's memory beside what its libraries report: its kernel workspace (the Wasm
 * memories its indexes share) and its own JS heap. Registered on each worker's registry, so that
 * the node's /metrics sums them over its workers: a fixed number of series whatever the
 * libraries. The libraries' own bytes are quiver_library_memory_bytes; what the workers hold
 * beyond them is the node's fixed cost.
 */
export function registerWorkerMemoryMetrics(
  registry: Registry,
  kernel: () => KernelMemoryFigures,
): void {
  new Gauge({
    name: "quiver_kernel_memory_bytes",
    help: "Kernel (Wasm) memory of the shard's worker threads, summed: committed (pages the memories hold), touched (the bound of their resident pages), regions (allocated to indexes: records, parameters, caches; what the libraries report), scratch (shared by the indexes of a memory), free (committed, in neither), transient (committed by the memories of exact phases that training replaces)",
    labelNames: ["kind"] as const,
    registers: [registry],
    collect() {
      const f = kernel();
      this.set({ kind: "committed" }, f.committedBytes);
      this.set({ kind: "touched" }, f.touchedBytes);
      this.set({ kind: "regions" }, f.regionBytes);
      this.set({ kind: "scratch" }, f.scratchBytes);
      this.set({ kind: "free" }, f.freeBytes);
      this.set({ kind: "transient" }, f.transientCommittedBytes);
    },
  });
  new Gauge({
    name: "quiver_kernel_memories",
    help: "Wasm memories alive in the shard's worker threads, summed: all, and the transient ones (exact phases that training replaces)",
    labelNames: ["kind"] as const,
    registers: [registry],
    collect() {
      const f = kernel();
      this.set({ kind: "all" }, f.memories);
      this.set({ kind: "transient" }, f.transientMemories);
    },
  });
  new Gauge({
    name: "quiver_worker_heap_bytes",
    help: "JS heap of the shard's partition worker threads, summed (the main thread's is nodejs_heap_size_used_bytes): used, total (reserved by V8), external (ArrayBuffers and Wasm memories the heap accounts for)",
    labelNames: ["kind"] as const,
    registers: [registry],
    collect() {
      const m = process.memoryUsage();
      this.set({ kind: "used" }, m.heapUsed);
      this.set({ kind: "total" }, m.heapTotal);
      this.set({ kind: "external" }, m.external);
    },
  });
}
