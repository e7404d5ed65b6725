import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalCluster } from "@quiver/cli";
import { freePort, startNatsServer } from "@quiver/testing";
import { defineApiSuite } from "./test-support/api-suite/api-suite.js";
import { expect } from "vitest";

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
    // shard nodes serve their own health and metrics
    for (const url of cluster.shardHttpUrls) {
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect(await (await fetch(`${url}/metrics`)).text()).toContain(
        "quiver_partition_applied_seq",
      );
    }
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
