import { type NatsServer, startNatsServer } from "@quiver/testing";
import { describeLogConformance } from "../test-support/conformance.js";
import { JetStreamLog } from "./jetstream-log.js";

describeLogConformance("JetStreamLog", async () => {
  const server: NatsServer = await startNatsServer();
  const t = {
    log: await JetStreamLog.connect({ servers: server.url, appendTimeoutMs: 30_000 }),
    // The same client keeps appending while its server is SIGKILLed and restarted: appends in
    // flight retry with their msgId until the server is back.
    async appendThroughCrash(
      partition: number,
      count: number,
      killAfterAcks: number,
      prefix: string,
    ) {
      const acked = new Map<string, number>();
      let next = 0;
      let crash: Promise<void> | undefined;
      const worker = async () => {
        while (next < count) {
          const i = next++;
          const msgId = `${prefix}-${i}`;
          const r = await t.log.append(partition, new TextEncoder().encode(`payload ${i}`), msgId);
          acked.set(msgId, r.seq);
          if (acked.size === killAfterAcks) crash = server.kill().then(() => server.restart());
        }
      };
      await Promise.all([worker(), worker(), worker(), worker()]);
      await crash;
      return acked;
    },
    async dispose() {
      await t.log.close();
      await server.stop();
    },
  };
  return t;
});
