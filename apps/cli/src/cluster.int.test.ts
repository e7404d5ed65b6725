import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startNatsServer } from "@quiver/testing";
import { startLocalCluster } from "./local-cluster.js";
import { defineApiSuite } from "./test-support/api-suite.js";

// The same suite as embedded mode, against nats-server + 2 shard processes + a coordinator.
defineApiSuite("cluster: nats-server, 2 shard processes, coordinator", async () => {
  const nats = await startNatsServer();
  const dataDir = mkdtempSync(join(tmpdir(), "quiver-cluster-"));
  const partitions = 4;
  try {
    const cluster = await startLocalCluster({
      natsUrl: nats.url,
      dataDir,
      shards: 2,
      partitions,
      replicas: 1,
      host: "127.0.0.1",
      port: await freePort(),
      logLevel: "warn",
    });
    return {
      url: cluster.url,
      maxPartitions: partitions,
      close: async () => {
        await cluster.stop();
        await nats.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await nats.stop();
    throw error;
  }
});
