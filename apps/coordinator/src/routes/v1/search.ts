import { ErrorResponse, LibraryParams, SearchBody, SearchResponse } from "@quiver/api";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Services } from "../../services.js";

export const searchRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  app.post(
    "/libraries/:id/search",
    {
      schema: {
        tags: ["search"],
        summary:
          "k nearest neighbours of a vector (or of each of vectors[]), with a metadata filter",
        params: LibraryParams,
        body: SearchBody,
        response: {
          200: SearchResponse,
          400: ErrorResponse,
          404: ErrorResponse,
          503: ErrorResponse,
          504: ErrorResponse,
        },
      },
    },
    async (request) => {
      const timing = request.timing;
      const library = services.libraries.find(request.tenantId, request.params.id);
      timing?.mark("route");
      const answer = await services.search.search(library, request.body, timing);
      const partial = answer.missingPartitions.length > 0;
      const response = {
        results: request.body.vector ? answer.results[0] : answer.results,
        ...(partial ? { partial: true, missing_partitions: answer.missingPartitions } : {}),
      };
      timing?.mark("merge");
      return response;
    },
  );
};
