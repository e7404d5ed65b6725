import {
  BenchmarkBody,
  BenchmarkJobParams,
  BenchmarkJobResponse,
  ErrorResponse,
  LibraryParams,
} from "@quiver/api";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Services } from "../../services.js";

const errors = { 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse };

export const benchmarkRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  app.post(
    "/libraries/:id/quantization/benchmark",
    {
      schema: {
        tags: ["quantization"],
        summary:
          "Start a benchmark of quantization strategies on the library's own vectors (a job)",
        params: LibraryParams,
        body: BenchmarkBody,
        response: { 202: BenchmarkJobResponse, ...errors },
      },
    },
    async (request, reply) => {
      const library = services.libraries.find(request.tenantId, request.params.id);
      const job = await services.benchmarks.start(library, request.body ?? {});
      return reply.status(202).header("location", job.url).send(job);
    },
  );

  app.get(
    "/libraries/:id/quantization/benchmarks/:job_id",
    {
      schema: {
        tags: ["quantization"],
        summary: "A benchmark job: progress, then results, recommendation and reason",
        params: BenchmarkJobParams,
        response: { 200: BenchmarkJobResponse, ...errors },
      },
    },
    async (request) =>
      services.benchmarks.get(
        services.libraries.find(request.tenantId, request.params.id),
        request.params.job_id,
      ),
  );
};
