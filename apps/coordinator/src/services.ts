import { BenchmarkService } from "./service/benchmark/benchmark-service.js";
import type { ServiceContext } from "./service/context.js";
import { LibraryService } from "./service/library-service.js";
import { SearchService } from "./service/search-service.js";
import { StatisticsService } from "./service/statistics-service.js";
import { VectorService } from "./service/vector-service.js";

export interface Services {
  libraries: LibraryService;
  vectors: VectorService;
  search: SearchService;
  statistics: StatisticsService;
  benchmarks: BenchmarkService;
}

export function createServices(ctx: ServiceContext): Services {
  return {
    libraries: new LibraryService(ctx),
    vectors: new VectorService(ctx),
    search: new SearchService(ctx),
    statistics: new StatisticsService(ctx),
    benchmarks: new BenchmarkService(ctx),
  };
}
