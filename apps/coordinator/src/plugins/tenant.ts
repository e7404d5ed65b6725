import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";

declare module "fastify" {
  interface FastifyRequest {
    /** The tenant a request acts for. */
    tenantId: string;
  }
}

/** Until API keys exist, every request acts for one tenant. */
export const DEFAULT_TENANT = "default";

/**
 * Who a request acts for. The one place authentication will go: it will map the bearer key to
 * its tenant (and refuse requests without one) for the routes registered after it.
 */
export const tenantPlugin = fp(
  async (app: FastifyInstance) => {
    app.decorateRequest("tenantId", DEFAULT_TENANT);
  },
  { name: "tenant" },
);
