import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { RequestTiming, serverTimingHeader } from "../service/request-timing.js";

declare module "fastify" {
  interface FastifyRequest {
    /** Where this request's time goes; undefined unless Server-Timing is on. */
    timing: RequestTiming | undefined;
  }
}

/**
 * The opt-in Server-Timing header: `parse` (body read and JSON parse), `validate` (the schema;
 * routes add their own checks), what the route records (search: `route`, `search`, `rerank`,
 * `merge`), `handler` (the rest of the handler), `serialize` (the response as JSON) and `total`
 * (from the request's arrival in fastify until its response is serialized). Off, it adds no hook.
 */
export const serverTimingPlugin = fp(
  async (app: FastifyInstance, options: { enabled: boolean }) => {
    app.decorateRequest("timing", undefined);
    if (!options.enabled) return;
    app.addHook("onRequest", (request, _reply, done) => {
      request.timing = new RequestTiming();
      done();
    });
    app.addHook("preValidation", (request, _reply, done) => {
      request.timing?.mark("parse");
      done();
    });
    app.addHook("preHandler", (request, _reply, done) => {
      request.timing?.mark("validate");
      done();
    });
    app.addHook("preSerialization", (request, _reply, payload, done) => {
      request.timing?.mark("handler");
      done(null, payload);
    });
    app.addHook("onSend", (request, reply, payload, done) => {
      const timing = request.timing;
      if (timing) {
        timing.mark("serialize");
        reply.header("server-timing", serverTimingHeader(timing.entries()));
      }
      done(null, payload);
    });
  },
  { name: "server-timing" },
);
