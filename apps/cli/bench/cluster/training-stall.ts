// A product library over 4 partitions trains once it holds its sample (training_samples 50,000,
// Fashion-MNIST 784-d) while another library is searched and every process's /healthz is asked
// every 50 ms (the acceptance: /healthz within 100 ms throughout, the other library's
// search p99 <= 3x idle; in a cluster the coordinator stays ready, i.e. no shard loses its
// membership and no partition moves).
import { QuiverClient, type StatisticsResponse } from "@quiver/api";
import type { Dataset } from "@quiver/testing";
import { upsertAll } from "../http-ingest.js";
import { runSearchLoad } from "../load/children.js";
import type { SearchLoadResult } from "../load/search-load.js";
import { startDeployment } from "./deployment.js";
import { HealthPoller } from "./health-poller.js";
import { type MembershipReport, MembershipWatch } from "./membership-watch.js";
import { HNSW, loadedLibrary, untilHolds } from "./library-setup.js";

export interface TrainingStallOptions {
  shards: number;
  data: Dataset;
  trainingSamples: number;
  windowS: number;
  queries: number;
}

export interface TrainingStallRow {
  deployment: string;
  training_samples: number;
  idle: SearchLoadResult;
  /** The worst of the search windows while the library trained and built its codes. */
  while_training: SearchLoadResult;
  search_windows: number;
  p99_ratio: number;
  /** From holding the sample to every partition serving the trained quantizer. */
  training_s: number;
  trained_sample_size: number;
  healthz: Awaited<ReturnType<HealthPoller["stop"]>>;
  /** Answers of the coordinator's /readyz that were not 200 while training (cluster). */
  not_ready: number;
  /** The shards' membership while training, as the coordinator judges it (cluster). */
  membership?: MembershipReport;
}

export async function trainingStall(options: TrainingStallOptions): Promise<TrainingStallRow> {
  const deployment = await startDeployment({ shards: options.shards });
  try {
    const client = new QuiverClient({ url: deployment.url, timeoutMs: 600_000 });
    const searched = await loadedLibrary(client, "searched", options.data, 10_000, 2);
    const search = () =>
      runSearchLoad({
        url: deployment.url,
        libraryId: searched,
        connections: 1,
        durationS: options.windowS,
        queries: options.queries,
      });
    const idle = await search();
    const product = await client.createLibrary({
      name: "product",
      dimension: options.data.dim,
      metric: options.data.metric,
      hnsw_config: HNSW,
      partitions: 4,
      quantization_config: { strategy: "product", training_samples: options.trainingSamples },
    });
    await upsertAll(client, product.id, options.data, {
      count: options.trainingSamples,
      batch: 500,
    });
    await untilHolds(client, product.id, options.trainingSamples);
    const heldAt = performance.now();
    const health = new HealthPoller(deployment.healthUrls);
    const members = deployment.natsUrl
      ? await MembershipWatch.start(deployment.natsUrl, options.shards)
      : undefined;
    let notReady = 0;
    let watching = true;
    const readiness = (async () => {
      while (watching) {
        const ok = await fetch(`${deployment.url}/readyz`).then(
          (r) => r.ok,
          () => false,
        );
        if (!ok) notReady++;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const windows: SearchLoadResult[] = [];
    let stats: StatisticsResponse;
    for (;;) {
      windows.push(await search());
      stats = await client.statistics(product.id);
      if (stats.state === "serving" && stats.quantization.training) break;
      if (performance.now() - heldAt > 900_000) throw new Error("no training within 15 min");
    }
    const trainingS = (performance.now() - heldAt) / 1000;
    watching = false;
    await readiness;
    const healthz = await health.stop();
    const membership = await members?.stop();
    const worst = windows.reduce((a, b) => (b.p99_ms > a.p99_ms ? b : a));
    return {
      deployment: deployment.name,
      training_samples: options.trainingSamples,
      idle,
      while_training: worst,
      search_windows: windows.length,
      p99_ratio: worst.p99_ms / idle.p99_ms,
      training_s: trainingS,
      trained_sample_size: stats.quantization.training?.sample_size ?? 0,
      healthz,
      not_ready: notReady,
      ...(membership ? { membership } : {}),
    };
  } finally {
    await deployment.stop();
  }
}
