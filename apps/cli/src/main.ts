#!/usr/bin/env node
import { bench, BENCH_USAGE } from "./commands/bench.js";
import { CLUSTER_USAGE, clusterUp } from "./commands/cluster-up.js";
import { load, LOAD_USAGE } from "./commands/load.js";
import { migrate, MIGRATE_USAGE } from "./commands/migrate.js";
import { serve } from "./commands/serve.js";

const USAGE = `usage: quiver <command>

commands:
  serve        Quiver in one process (embedded log), on QUIVER_HOST:QUIVER_PORT (127.0.0.1:8080),
               data in QUIVER_DATA_DIR (./data)
  cluster up   nats-server + shard node processes + a coordinator on this machine
  load         import vectors from .fvecs, .npy or JSON lines, with progress and resume
  bench        benchmark quantization strategies on a library's vectors: table, recommendation, chart
  migrate      change a library's quantization in the background, with progress and ETA

${CLUSTER_USAGE}

${LOAD_USAGE}

${BENCH_USAGE}
${MIGRATE_USAGE}
`;

const [command, ...rest] = process.argv.slice(2);
try {
  switch (command) {
    case "serve":
      await serve();
      break;
    case "cluster":
      if (rest[0] !== "up")
        throw new Error(`unknown cluster command ${rest[0] ?? ""}\n${CLUSTER_USAGE}`);
      await clusterUp(rest.slice(1));
      break;
    case "load":
      await load(rest);
      break;
    case "bench":
      await bench(rest);
      break;
    case "migrate":
      process.exitCode = await migrate(rest);
      break;
    case undefined:
    case "help":
    case "--help":
      process.stdout.write(USAGE);
      break;
    default:
      process.stderr.write(`quiver: unknown command ${command}\n${USAGE}`);
      process.exit(2);
  }
} catch (error) {
  process.stderr.write(`quiver: ${(error as Error).message}\n`);
  process.exit(1);
}
