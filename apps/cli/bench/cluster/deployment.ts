// The two shapes of Quiver the cluster benchmarks load: embedded (`npm start`, one process) and
// a local cluster (nats-server, shard processes, a coordinator), each over a fresh data directory.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startNatsServer } from "@quiver/testing";
import { startLocalCluster } from "../../src/local-cluster.js";
import { startQuiver } from "../quiver-process.js";

export interface Deployment {
  /** "embedded" or "N shards". */
  name: string;
  url: string;
  /** Every process's /healthz (the coordinator's or embedded server's first). */
  healthUrls: string[];
  /** The cluster's nats-server (shard processes only). */
  natsUrl?: string;
  stop(): Promise<void>;
}

export interface DeploymentOptions {
  /** 0 for embedded mode, else shard processes. */
  shards: number;
  /** Settings of the embedded process, or of every shard process. */
  env?: Record<string, string>;
  /** The deployment's partitions (the most a library may have); 4 unless told. */
  partitions?: number;
}

export async function startDeployment(options: DeploymentOptions): Promise<Deployment> {
  const dir = mkdtempSync(join(tmpdir(), "quiver-bench-"));
  if (options.shards === 0) {
    const quiver = await startQuiver(dir, {
      QUIVER_PARTITIONS: String(options.partitions ?? 4),
      ...options.env,
    });
    return {
      name: "embedded",
      url: quiver.url,
      healthUrls: [`${quiver.url}/healthz`],
      async stop() {
        await quiver.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const nats = await startNatsServer();
  const cluster = await startLocalCluster({
    natsUrl: nats.url,
    dataDir: dir,
    shards: options.shards,
    partitions: options.partitions ?? 4,
    replicas: 1,
    host: "127.0.0.1",
    port: await freePort(),
    logLevel: "warn",
    stdio: "ignore",
    ...(options.env ? { shardEnv: options.env } : {}),
  });
  return {
    name: `${options.shards} shard${options.shards > 1 ? "s" : ""}`,
    url: cluster.url,
    healthUrls: [`${cluster.url}/healthz`, ...cluster.shardHttpUrls.map((u) => `${u}/healthz`)],
    natsUrl: nats.url,
    async stop() {
      await cluster.stop();
      await nats.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
