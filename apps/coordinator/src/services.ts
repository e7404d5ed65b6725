import type { ServiceContext } from "./service/context.js";
import { LibraryService } from "./service/library-service.js";
import { RecallProbe } from "./service/probe/recall-probe.js";
import { SearchService } from "./service/search-service.js";
import { StatisticsService } from "./service/statistics-service.js";
import { VectorService } from "./service/vector-service.js";

export interface Services {
  libraries: LibraryService;
  vectors: VectorService;
  search: SearchService;
  statistics: StatisticsService;
  probe: RecallProbe;
}

export function createServices(ctx: ServiceContext): Services {
  const search = new SearchService(ctx);
  return {
    libraries: new LibraryService(ctx),
    vectors: new VectorService(ctx),
    search,
    statistics: new StatisticsService(ctx),
    probe: new RecallProbe(ctx, search),
  };
}
