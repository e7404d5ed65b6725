import { QuiverClient } from "@quiver/api";
import { afterAll, beforeAll, describe } from "vitest";
import { defineBadRequestTests } from "./bad-requests.js";
import type { ApiSuiteContext, Deployment } from "./context.js";
import { defineFuzzTests } from "./fuzz.js";
import { defineHybridCacheTests } from "./hybrid-cache.js";
import { defineLibraryTests } from "./libraries.js";
import { defineRecallProbeTests } from "./recall-probe.js";
import { defineSearchTests } from "./search-consistency.js";
import { defineServiceEndpointTests } from "./service-endpoints.js";
import { defineStatisticsTests } from "./statistics.js";
import { defineVectorTests } from "./vectors.js";

/**
 * The v1 API's behaviour, run against a deployment: embedded mode and a local cluster run the
 * same suite. One deployment serves every test; each concern's file registers its tests here,
 * in this order (libraries' names are unique across the suite, and some tests compare the whole
 * state before and after).
 */
export function defineApiSuite(name: string, start: () => Promise<Deployment>): void {
  describe(`v1 API (${name})`, () => {
    const suite = {} as ApiSuiteContext;

    beforeAll(async () => {
      suite.deployment = await start();
      suite.client = new QuiverClient({ url: suite.deployment.url });
    });
    afterAll(async () => suite.deployment?.close());

    defineLibraryTests(suite);
    defineVectorTests(suite);
    defineSearchTests(suite);
    defineBadRequestTests(suite);
    defineFuzzTests(suite);
    defineStatisticsTests(suite);
    defineRecallProbeTests(suite);
    defineHybridCacheTests(suite);
    defineServiceEndpointTests(suite);
  });
}
