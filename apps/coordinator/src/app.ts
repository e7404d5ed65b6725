import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { type CoordinatorMetrics, type Logger, type Registry } from "@quiver/telemetry";
import { ApiError, ApiErrorCode } from "@quiver/api";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import { errorsPlugin } from "./plugins/errors.js";
import { openapiPlugin } from "./plugins/openapi.js";
import { serializersOnFirstUse } from "./plugins/serialization.js";
import { serverTimingPlugin } from "./plugins/server-timing.js";
import { tenantPlugin } from "./plugins/tenant.js";
import { validatorCompiler } from "./plugins/validation.js";
import { healthRoutes, type HealthOptions } from "./routes/health.js";
import { benchmarkRoutes } from "./routes/v1/benchmark.js";
import { libraryRoutes } from "./routes/v1/libraries.js";
import { migrationRoutes } from "./routes/v1/migrations.js";
import { policyRoutes } from "./routes/v1/policy.js";
import { recallProbeRoutes } from "./routes/v1/recall-probe.js";
import { searchRoutes } from "./routes/v1/search.js";
import { vectorRoutes } from "./routes/v1/vectors.js";
import type { Services } from "./services.js";

export interface AppOptions extends HealthOptions {
  services: Services;
  logger: Logger;
  metrics: CoordinatorMetrics;
  /** Largest request body, bytes (default 64 MiB: 10,000 vectors of 768 dimensions as JSON). */
  bodyLimit?: number;
  /** A Server-Timing header on every response: where its time went (default off). */
  serverTiming?: boolean;
}

export type { Registry };

/** The coordinator's HTTP API: fastify with the v1 routes, errors, OpenAPI, health and metrics. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 64 * 1024 * 1024,
    schemaController: { compilersFactory: { buildSerializer: serializersOnFirstUse } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);

  // JSON bodies; an empty one (a DELETE sent with a content-type) is no body.
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === "") return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(
        new ApiError(
          ApiErrorCode.MalformedJson,
          `body is not valid JSON: ${(error as Error).message}`,
          {
            field: "body",
          },
        ),
        undefined,
      );
    }
  });
  app.addHook("onResponse", async (request, reply) => {
    options.metrics.httpRequestSeconds.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? "unmatched",
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });
  await app.register(serverTimingPlugin, { enabled: options.serverTiming ?? false });
  await app.register(errorsPlugin);
  await app.register(openapiPlugin);
  await app.register(healthRoutes, options);
  await app.register(
    async (v1) => {
      await v1.register(tenantPlugin);
      await v1.register(libraryRoutes, { services: options.services });
      await v1.register(vectorRoutes, { services: options.services });
      await v1.register(searchRoutes, { services: options.services });
      await v1.register(migrationRoutes, { services: options.services });
      await v1.register(policyRoutes, { services: options.services });
      await v1.register(recallProbeRoutes, { services: options.services });
      await v1.register(benchmarkRoutes, { services: options.services });
    },
    { prefix: "/v1" },
  );
  return app as unknown as FastifyInstance;
}
