import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { connect } from "node:net";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { startLocalCluster } from "../local-cluster.js";

export const CLUSTER_USAGE = `usage: quiver cluster up [--shards 2] [--partitions 8] [--replicas 1]
  [--port 8080] [--nats-port 4222] [--data-dir ./data/cluster] [--nats-server /usr/sbin/nats-server]
Starts nats-server (JetStream), the shard node processes and a coordinator on this machine;
Ctrl-C stops them all.`;

function portOpen(port: number): Promise<boolean> {
  return new Promise((r) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), r(true)));
    socket.once("error", () => r(false));
  });
}

async function startNats(binary: string, port: number, storeDir: string): Promise<ChildProcess> {
  if (!existsSync(binary)) {
    throw new Error(
      `${binary} not found: install Debian's nats-server (apt-get install nats-server) or pass --nats-server`,
    );
  }
  if (await portOpen(port)) throw new Error(`port ${port} is taken: pass --nats-port`);
  const child = spawn(binary, ["-js", "-sd", storeDir, "-a", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  const deadline = Date.now() + 15_000;
  while (!(await portOpen(port))) {
    if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error("nats-server did not open its port within 15 s");
    await new Promise((r) => setTimeout(r, 100));
  }
  return child;
}

export async function clusterUp(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      shards: { type: "string", default: "2" },
      partitions: { type: "string", default: "8" },
      replicas: { type: "string", default: "1" },
      port: { type: "string", default: process.env.QUIVER_PORT ?? "8080" },
      "nats-port": { type: "string", default: "4222" },
      "data-dir": { type: "string", default: "./data/cluster" },
      "nats-server": { type: "string", default: "/usr/sbin/nats-server" },
    },
  });
  const dataDir = resolve(process.env.INIT_CWD ?? process.cwd(), values["data-dir"]);
  mkdirSync(join(dataDir, "nats"), { recursive: true });
  const natsPort = Number(values["nats-port"]);
  const nats = await startNats(values["nats-server"], natsPort, join(dataDir, "nats"));
  let cluster;
  try {
    cluster = await startLocalCluster({
      natsUrl: `nats://127.0.0.1:${natsPort}`,
      dataDir,
      shards: Number(values.shards),
      partitions: Number(values.partitions),
      replicas: Number(values.replicas),
      host: process.env.QUIVER_HOST ?? "127.0.0.1",
      port: Number(values.port),
    });
  } catch (error) {
    nats.kill("SIGTERM");
    throw error;
  }
  console.log(
    `Quiver cluster up: ${cluster.url} (coordinator), ${values.shards} shard nodes, ` +
      `${values.partitions} partitions, nats://127.0.0.1:${natsPort}, data in ${dataDir}. Ctrl-C stops it.`,
  );
  const stop = async () => {
    await cluster.stop();
    nats.kill("SIGTERM");
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
}
