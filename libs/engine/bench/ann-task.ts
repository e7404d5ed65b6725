/** One engine configuration to benchmark, run by ann-worker.ts in its own process. */
export interface AnnTask {
  dataset: string;
  base: number;
  queries: number;
  engine: "quiver" | "hnswlib-node" | "usearch";
  /** Quiver: none | scalar | product (scalar and product also report their hybrid form). Peers: storage type. */
  strategy: string;
  m: number;
  efConstruction: number;
  efs: number[];
  rerankTopKs: number[];
  repeats: number;
  k: number;
}

/** One line of the benchmark's JSON output. */
export interface AnnRow {
  dataset: string;
  engine: string;
  strategy: string;
  params: { m: number; ef_construction: number; ef: number; rerank_top_k?: number };
  /** Training + insertion, single thread. */
  build_s: number;
  /** Median single-thread queries per second over the repeats. */
  qps: number;
  qps_runs: number[];
  recall_at_10: number;
  /**
   * RAM per vector: Quiver's own accounting of the index (codes, graph, quantizer, scratch);
   * for the peers, the growth of the process RSS over the build.
   */
  bytes_per_vector: number;
  /** Growth of the RSS of the benchmark process over the build, per vector (all engines). */
  rss_bytes_per_vector: number;
  /** Hybrid: float32 originals read for reranking, held in RAM by the benchmark (LMDB in a shard). */
  originals_bytes_per_vector?: number;
  /** QPS divided by hnswlib-node's QPS at the same recall (interpolated on its ef sweep). */
  qps_ratio_vs_hnswlib?: number | null;
  /** Quiver rows at the documented defaults (ef_search 64, rerank_top_k 100). */
  default_settings?: boolean;
}
