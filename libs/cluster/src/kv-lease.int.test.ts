import { connect, type NatsConnection } from "@nats-io/transport-node";
import { startNatsServer } from "@quiver/testing";
import { KvLease } from "./kv-lease.js";
import { defineLeaseSuite } from "./test-support/lease-suite.js";

// Each contender has its own connection, as coordinators in separate processes would.
defineLeaseSuite("JetStream KV on a real nats-server", async () => {
  const server = await startNatsServer();
  const connections: NatsConnection[] = [];
  return {
    async contender(name, holderId, ttlMs) {
      const nc = await connect({ servers: server.url });
      connections.push(nc);
      return KvLease.open(nc, { name, holderId, ttlMs });
    },
    async close() {
      for (const nc of connections) await nc.close();
      await server.stop();
    },
  };
});
