import type { FastifyInstance } from "fastify";
import type { MetricsSource } from "@quiver/telemetry";

export interface HealthOptions {
  /** True once the coordinator can serve (its catalog is loaded, its shards answer). */
  serving: () => boolean;
  /** Per partition, the shards serving it (readyz is 503 while one has none). */
  servingReplicas: () => Promise<Record<number, string[]>>;
  registries: MetricsSource[];
}

export async function healthRoutes(app: FastifyInstance, options: HealthOptions): Promise<void> {
  app.get("/healthz", { schema: { hide: true } }, async (_request, reply) =>
    options.serving() ? { status: "ok" } : reply.status(503).send({ status: "starting" }),
  );
  app.get("/readyz", { schema: { hide: true } }, async (_request, reply) => {
    if (!options.serving()) return reply.status(503).send({ status: "starting" });
    const partitions = await options.servingReplicas();
    const unserved = Object.entries(partitions)
      .filter(([, shards]) => shards.length === 0)
      .map(([p]) => Number(p));
    if (unserved.length > 0) {
      return reply
        .status(503)
        .send({ status: "degraded", unserved_partitions: unserved, partitions });
    }
    return { status: "ready", partitions };
  });
  app.get("/metrics", { schema: { hide: true } }, async (_request, reply) => {
    const parts = await Promise.all(options.registries.map((r) => r.metrics()));
    return reply
      .header("content-type", "text/plain; version=0.0.4; charset=utf-8")
      .send(parts.join("\n"));
  });
}
