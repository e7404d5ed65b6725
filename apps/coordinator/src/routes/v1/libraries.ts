import {
  CreateLibraryBody,
  DeleteLibraryResponse,
  ErrorResponse,
  LibraryListResponse,
  LibraryParams,
  LibraryResponse,
  StatisticsResponse,
} from "@quiver/api";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Services } from "../../services.js";

const errors = { 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse };

export const libraryRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  app.post(
    "/libraries",
    {
      schema: {
        tags: ["libraries"],
        summary: "Create a library",
        body: CreateLibraryBody,
        response: { 201: LibraryResponse, ...errors },
      },
    },
    async (request, reply) => {
      const library = await services.libraries.create(request.tenantId, request.body);
      return reply.status(201).send(library);
    },
  );

  app.get(
    "/libraries",
    {
      schema: {
        tags: ["libraries"],
        summary: "List the libraries",
        response: { 200: LibraryListResponse },
      },
    },
    async (request) => ({ libraries: services.libraries.list(request.tenantId) }),
  );

  app.get(
    "/libraries/:id",
    {
      schema: {
        tags: ["libraries"],
        summary: "Get a library",
        params: LibraryParams,
        response: { 200: LibraryResponse, ...errors },
      },
    },
    async (request) => services.libraries.get(request.tenantId, request.params.id),
  );

  app.get(
    "/libraries/:id/statistics",
    {
      schema: {
        tags: ["libraries"],
        summary: "Measured memory by component, savings against float32, state",
        params: LibraryParams,
        response: { 200: StatisticsResponse, ...errors },
      },
    },
    async (request) =>
      services.statistics.statistics(services.libraries.find(request.tenantId, request.params.id)),
  );

  app.delete(
    "/libraries/:id",
    {
      schema: {
        tags: ["libraries"],
        summary: "Delete a library and its vectors",
        params: LibraryParams,
        response: { 200: DeleteLibraryResponse, ...errors },
      },
    },
    async (request) => services.libraries.delete(request.tenantId, request.params.id),
  );
};
