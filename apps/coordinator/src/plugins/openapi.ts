import swagger from "@fastify/swagger";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";

/** The OpenAPI document, generated from the routes' schemas, at /openapi.json. */
export const openapiPlugin = fp(
  async (app: FastifyInstance) => {
    await app.register(swagger, {
      openapi: {
        openapi: "3.0.3",
        info: {
          title: "Quiver",
          description:
            'Vector database with per-library quantization. Errors: {"error": {"code", "message", "details"}}.',
          version: "1",
        },
        tags: [
          { name: "libraries", description: "Collections of vectors, each with its quantization" },
          { name: "vectors", description: "Writes are acknowledged once durable in the log" },
          { name: "search", description: "k nearest neighbours with metadata filters" },
        ],
      },
    });
    app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  },
  { name: "openapi" },
);
