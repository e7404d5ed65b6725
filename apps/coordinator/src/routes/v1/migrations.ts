import {
  ErrorResponse,
  LibraryParams,
  MigrateBody,
  MigrationListResponse,
  MigrationParams,
  MigrationResponse,
} from "@quiver/api";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Services } from "../../services.js";

const errors = { 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse };

/** Quantization migrations (brief §2): start, follow, list, cancel. */
export const migrationRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  app.post(
    "/libraries/:id/quantization/migrate",
    {
      schema: {
        tags: ["quantization"],
        summary:
          "Rebuild the library under another quantization in the background; the old index serves until each partition switches",
        params: LibraryParams,
        body: MigrateBody,
        response: { 202: MigrationResponse, ...errors },
      },
    },
    async (request, reply) => {
      const library = services.libraries.find(request.tenantId, request.params.id);
      const migration = await services.migrations.start(library, request.body);
      return reply.status(202).header("location", migration.url).send(migration);
    },
  );

  app.get(
    "/libraries/:id/quantization/migrations",
    {
      schema: {
        tags: ["quantization"],
        summary: "The library's migrations",
        params: LibraryParams,
        response: { 200: MigrationListResponse, ...errors },
      },
    },
    async (request) => {
      const library = services.libraries.find(request.tenantId, request.params.id);
      return { migrations: await services.migrations.list(library) };
    },
  );

  app.get(
    "/libraries/:id/quantization/migrations/:mid",
    {
      schema: {
        tags: ["quantization"],
        summary: "A migration's status, progress and ETA",
        params: MigrationParams,
        response: { 200: MigrationResponse, ...errors },
      },
    },
    async (request) => {
      const library = services.libraries.find(request.tenantId, request.params.id);
      return services.migrations.get(library, request.params.mid);
    },
  );

  app.post(
    "/libraries/:id/quantization/migrations/:mid/cancel",
    {
      schema: {
        tags: ["quantization"],
        summary:
          "Cancel a migration in progress: partitions drop their rebuild, those that switched rebuild the old config",
        params: MigrationParams,
        response: { 200: MigrationResponse, ...errors },
      },
    },
    async (request) => {
      const library = services.libraries.find(request.tenantId, request.params.id);
      return services.migrations.cancel(library, request.params.mid);
    },
  );
};
