import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { connect } from "node:net";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { startLocalCluster } from "../local-cluster.js";
import { type PrometheusProcess, startPrometheusProcess } from "../prometheus-process.js";

export const CLUSTER_USAGE = `usage: quiver cluster up [--shards 2] [--partitions 8] [--replicas 1]
  [--port 8080] [--nats-port 4222] [--shard-http-port 9101] [--data-dir ./data/cluster]
  [--nats-server /usr/sbin/nats-server]
  [--prometheus] [--prometheus-port 9090] [--prometheus-binary /usr/bin/prometheus]
Starts nats-server (JetStream), the shard node processes and a coordinator on this machine;
Ctrl-C stops them all. Shard i serves /metrics on --shard-http-port + i (0: free ports).
--prometheus also starts Debian's prometheus scraping them (jobs quiver-shard, quiver-coordinator).`;

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
      "shard-http-port": { type: "string", default: "9101" },
      prometheus: { type: "boolean", default: false },
      "prometheus-port": { type: "string", default: "9090" },
      "prometheus-binary": { type: "string", default: "/usr/bin/prometheus" },
    },
  });
  const shards = Number(values.shards);
  const shardHttpPort = Number(values["shard-http-port"]);
  const shardHttpPorts =
    shardHttpPort === 0 ? undefined : Array.from({ length: shards }, (_, i) => shardHttpPort + i);
  const dataDir = resolve(process.env.INIT_CWD ?? process.cwd(), values["data-dir"]);
  mkdirSync(join(dataDir, "nats"), { recursive: true });
  const natsPort = Number(values["nats-port"]);
  const nats = await startNats(values["nats-server"], natsPort, join(dataDir, "nats"));
  let cluster;
  try {
    cluster = await startLocalCluster({
      natsUrl: `nats://127.0.0.1:${natsPort}`,
      dataDir,
      shards,
      shardHttpPorts,
      partitions: Number(values.partitions),
      replicas: Number(values.replicas),
      host: process.env.QUIVER_HOST ?? "127.0.0.1",
      port: Number(values.port),
    });
  } catch (error) {
    nats.kill("SIGTERM");
    throw error;
  }
  let prometheus: PrometheusProcess | undefined;
  if (values.prometheus) {
    const hostPort = (url: string) => new URL(url).host;
    try {
      prometheus = await startPrometheusProcess({
        binary: values["prometheus-binary"],
        port: Number(values["prometheus-port"]),
        dir: join(dataDir, "prometheus"),
        jobs: {
          "quiver-shard": cluster.shardHttpUrls.map(hostPort),
          "quiver-coordinator": [hostPort(cluster.url)],
        },
      });
    } catch (error) {
      await cluster.stop();
      nats.kill("SIGTERM");
      throw error;
    }
  }
  console.log(
    `Quiver cluster up: ${cluster.url} (coordinator), ${values.shards} shard nodes, ` +
      `${values.partitions} partitions, nats://127.0.0.1:${natsPort}, ` +
      (prometheus ? `Prometheus ${prometheus.url}, ` : "") +
      `data in ${dataDir}. Ctrl-C stops it.`,
  );
  const stop = async () => {
    await prometheus?.stop();
    await cluster.stop();
    // wait for nats-server to have closed its store before this process (and its caller) moves on
    const natsExited = new Promise((resolve) => {
      if (nats.exitCode !== null || nats.signalCode !== null) resolve(undefined);
      else nats.once("exit", resolve);
    });
    nats.kill("SIGTERM");
    const killer = setTimeout(() => nats.kill("SIGKILL"), 10_000);
    await natsExited;
    clearTimeout(killer);
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
}
