import { connect, type NatsConnection } from "@nats-io/transport-node";
import { type NatsServer, startNatsServer } from "@quiver/testing";
import { describeKvConformance } from "../test-support/kv-conformance.js";
import { JetStreamKv } from "./jetstream-kv.js";

const BUCKET = "quiver_kv_test";

describeKvConformance("JetStreamKv", async () => {
  const server: NatsServer = await startNatsServer();
  let nc: NatsConnection = await connect({ servers: server.url });
  const t = {
    kv: await JetStreamKv.open(nc, { bucket: BUCKET }),
    // SIGKILL, no clean shutdown: what the server acknowledged must be in its store
    async restart() {
      await t.kv.close();
      await nc.close();
      await server.kill();
      await server.restart();
      nc = await connect({ servers: server.url });
      t.kv = await JetStreamKv.open(nc, { bucket: BUCKET });
    },
    async dispose() {
      await t.kv.close();
      await nc.close();
      await server.stop();
    },
  };
  return t;
});
