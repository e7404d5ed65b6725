import {
  ErrorResponse,
  LibraryParams,
  ProbeRecallBody,
  RecallMeasurementResponse,
} from "@quiver/api";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Services } from "../../services.js";

export const recallProbeRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  app.post(
    "/libraries/:id/quantization/probe",
    {
      schema: {
        tags: ["quantization"],
        summary:
          "Measure recall@10 and recall@100 now: live search against exact search, for queries " +
          "sampled from the library (each query's own id left out)",
        params: LibraryParams,
        body: ProbeRecallBody,
        response: {
          200: RecallMeasurementResponse,
          400: ErrorResponse,
          404: ErrorResponse,
          409: ErrorResponse,
        },
      },
    },
    async (request) => {
      const library = services.libraries.find(request.tenantId, request.params.id);
      return services.probe.probe(library, request.body?.sample_size, request.body?.seed);
    },
  );
};
