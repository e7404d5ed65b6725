import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, type NatsServer, startNatsServer } from "@quiver/testing";
import {
  type LocalCluster,
  type LocalClusterOptions,
  startLocalCluster,
} from "../local-cluster.js";

export interface TestCluster extends LocalCluster {
  nats: NatsServer;
  /** Stops the cluster and its nats-server and removes their data. */
  stop(): Promise<void>;
}

/**
 * A real nats-server and a local cluster over a fresh data directory, on loopback (a free port
 * for the coordinator unless told), logging warnings only.
 */
export async function startTestCluster(
  options: Omit<LocalClusterOptions, "natsUrl" | "dataDir" | "host" | "port"> & { port?: number },
): Promise<TestCluster> {
  const nats = await startNatsServer();
  const dataDir = mkdtempSync(join(tmpdir(), "quiver-test-cluster-"));
  try {
    const cluster = await startLocalCluster({
      logLevel: "warn",
      ...options,
      natsUrl: nats.url,
      dataDir,
      host: "127.0.0.1",
      port: options.port ?? (await freePort()),
    });
    return {
      ...cluster,
      nats,
      stop: async () => {
        await cluster.stop();
        await nats.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await nats.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}
