import { InProcessLease } from "@quiver/cluster";
import { AdaptivePolicy, type AdaptivePolicyOptions } from "./policy/adaptive-policy.js";
import { currentRecall } from "./policy/current-recall.js";
import { RecommendationService } from "./policy/recommendation-service.js";
import { StatisticsSource } from "./policy/statistics-source.js";
import { BenchmarkService } from "./service/benchmark/benchmark-service.js";
import type { ServiceContext } from "./service/context.js";
import { LibraryService } from "./service/library-service.js";
import { MigrationService } from "./service/migration-service.js";
import { NodeStatsView } from "./service/node-stats-view.js";
import { RecallProbe } from "./service/probe/recall-probe.js";
import { SearchService } from "./service/search-service.js";
import { IngestPool } from "./service/ingest/ingest-pool.js";
import { StatisticsService } from "./service/statistics-service.js";
import { TrainingController } from "./service/training/training-controller.js";
import { VectorService } from "./service/vector-service.js";

export interface Services {
  libraries: LibraryService;
  vectors: VectorService;
  search: SearchService;
  statistics: StatisticsService;
  migrations: MigrationService;
  policy: AdaptivePolicy;
  probe: RecallProbe;
  recommendations: RecommendationService;
  benchmarks: BenchmarkService;
  training: TrainingController;
  /** The shards' statistics of every library, shared by the controllers (one call per node). */
  nodeStats: NodeStatsView;
  /** The threads that prepare upserts; closed with the coordinator. */
  ingest: IngestPool;
}

/** The policy's options; each one has a default (figures from the shards, a process-local lease). */
export type PolicyOptions = Partial<AdaptivePolicyOptions>;

export function createServices(
  ctx: ServiceContext,
  policy: PolicyOptions = {},
  trainingIntervalMs?: number,
): Services {
  const nodeStats = NodeStatsView.of(ctx);
  const migrations = new MigrationService(ctx, nodeStats);
  const search = new SearchService(ctx);
  const adaptive = new AdaptivePolicy(ctx, migrations, nodeStats, {
    ...policy,
    source: policy.source ?? new StatisticsSource(ctx, nodeStats),
    lease: policy.lease ?? new InProcessLease({ name: "policy", holderId: "coordinator" }),
    recallOf: policy.recallOf ?? ((library) => currentRecall(ctx.catalog, library)),
  });
  // the policy's lease holder drives the trainings too
  const training = new TrainingController(ctx, nodeStats, {
    leader: () => adaptive.isHolder,
    intervalMs: trainingIntervalMs,
  });
  migrations.onStarted = () => training.poke();
  const ingest = new IngestPool();
  return {
    libraries: new LibraryService(ctx),
    vectors: new VectorService(ctx, ingest),
    search,
    statistics: new StatisticsService(ctx),
    migrations,
    policy: adaptive,
    recommendations: new RecommendationService(ctx, adaptive, migrations),
    probe: new RecallProbe(ctx, search),
    benchmarks: new BenchmarkService(ctx),
    training,
    nodeStats,
    ingest,
  };
}
