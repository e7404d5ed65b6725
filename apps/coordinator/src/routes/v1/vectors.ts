import {
  DeleteVectorsBody,
  ErrorResponse,
  invalidField,
  LibraryParams,
  ReadQuery,
  UpsertBody,
  VectorParams,
  VectorResponse,
  WaitQuery,
  WriteResponse,
} from "@quiver/api";
import type {
  FastifyPluginAsyncTypebox,
  TypeBoxTypeProvider,
} from "@fastify/type-provider-typebox";
import { bodyCheckedElsewhere } from "../../plugins/validation.js";
import type { Services } from "../../services.js";

const errors = { 400: ErrorResponse, 404: ErrorResponse, 503: ErrorResponse, 504: ErrorResponse };

export const vectorRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  // Upsert bodies (megabytes of JSON) are parsed and checked by the ingest threads, not here:
  // this scope hands them over as bytes.
  await app.register(async (raw) => {
    raw.removeContentTypeParser("application/json");
    raw.addContentTypeParser("application/json", { parseAs: "buffer" }, (_request, body, done) =>
      done(null, body),
    );
    raw.setValidatorCompiler(bodyCheckedElsewhere);
    raw.withTypeProvider<TypeBoxTypeProvider>().post(
      "/libraries/:id/vectors",
      {
        schema: {
          tags: ["vectors"],
          summary: "Upsert vectors (a batch); acknowledged once durable in the log",
          params: LibraryParams,
          body: UpsertBody,
          response: { 200: WriteResponse, ...errors },
        },
      },
      async (request) => {
        const library = services.libraries.find(request.tenantId, request.params.id);
        const key = request.headers["idempotency-key"];
        if (Array.isArray(key) || (key !== undefined && (key.length === 0 || key.length > 256))) {
          throw invalidField("Idempotency-Key", "must be one header of 1 to 256 characters");
        }
        return services.vectors.upsert(library, request.body as unknown as Uint8Array, key);
      },
    );
  });

  app.get(
    "/libraries/:id/vectors/:vid",
    {
      schema: {
        tags: ["vectors"],
        summary: "Get one vector with its metadata",
        params: VectorParams,
        querystring: ReadQuery,
        response: { 200: VectorResponse, ...errors },
      },
    },
    async (request) => {
      const library = services.libraries.find(request.tenantId, request.params.id);
      return services.vectors.get(
        library,
        request.params.vid,
        request.query.consistency ?? "eventual",
        request.query.write_token,
      );
    },
  );

  app.delete(
    "/libraries/:id/vectors/:vid",
    {
      schema: {
        tags: ["vectors"],
        summary: "Delete one vector",
        params: VectorParams,
        querystring: WaitQuery,
        response: { 200: WriteResponse, ...errors },
      },
    },
    async (request) => {
      const library = services.libraries.find(request.tenantId, request.params.id);
      return services.vectors.delete(library, [request.params.vid], request.query.wait ?? false);
    },
  );

  app.post(
    "/libraries/:id/vectors/delete",
    {
      schema: {
        tags: ["vectors"],
        summary: "Delete a batch of vectors",
        params: LibraryParams,
        body: DeleteVectorsBody,
        response: { 200: WriteResponse, ...errors },
      },
    },
    async (request) => {
      const library = services.libraries.find(request.tenantId, request.params.id);
      return services.vectors.delete(library, request.body.ids, request.body.wait ?? false);
    },
  );
};
