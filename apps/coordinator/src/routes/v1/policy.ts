import {
  ErrorResponse,
  LibraryParams,
  LibraryResponse,
  RecommendationQuery,
  RecommendationResponse,
  UpdateLibraryBody,
} from "@quiver/api";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Services } from "../../services.js";

const errors = { 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse };

/** The adaptive policy's view of a library, and the change of an adaptive library's targets. */
export const policyRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  app.get(
    "/libraries/:id/quantization/recommendation",
    {
      schema: {
        tags: ["quantization"],
        summary:
          "The strategy the adaptive policy's rule recommends now, from measured memory and recall, with its reason (max_memory_gb and target_accuracy: what-if)",
        params: LibraryParams,
        querystring: RecommendationQuery,
        response: { 200: RecommendationResponse, ...errors },
      },
    },
    async (request) => {
      const library = services.libraries.find(request.tenantId, request.params.id);
      return services.recommendations.recommend(library, request.query);
    },
  );

  app.patch(
    "/libraries/:id",
    {
      schema: {
        tags: ["libraries"],
        summary:
          "Change an adaptive library's targets (max_memory_gb, target_accuracy, auto_tune); another strategy is a migration",
        params: LibraryParams,
        body: UpdateLibraryBody,
        response: { 200: LibraryResponse, ...errors },
      },
    },
    async (request) => {
      const library = services.libraries.find(request.tenantId, request.params.id);
      return services.recommendations.updateTargets(library, request.body);
    },
  );
};
