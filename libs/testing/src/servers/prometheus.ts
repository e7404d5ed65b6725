import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signalChild } from "./child.js";
import { ensureImage, removeContainer, type ServerMode, serverMode } from "./docker.js";
import { freePort } from "./free-port.js";
import { waitForHttp } from "./wait-ready.js";

process.env.TESTCONTAINERS_RYUK_DISABLED ??= "true";

/** What Prometheus scrapes: every URL (`http://127.0.0.1:9100/metrics`) under one job label. */
export interface ScrapeTarget {
  job: string;
  urls: string[];
}

export interface PrometheusOptions {
  targets?: ScrapeTarget[];
  /** How often every target is scraped (and rule/target files re-read); 1000 unless told. */
  scrapeIntervalMs?: number;
  mode?: ServerMode;
}

/** A real Prometheus (Debian's binary) on a free loopback port, started for a test. */
export interface Prometheus {
  /** Base URL of its HTTP API, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  readonly port: number;
  readonly mode: ServerMode;
  /**
   * Replaces the scrape targets. Prometheus's target discovery passes changes on every 5 s (not
   * configurable), so new targets are scraped 5-6 s later; so are the first ones after a start.
   */
  setTargets(targets: ScrapeTarget[]): void;
  /** Stops the server and removes its configuration and storage. */
  stop(): Promise<void>;
}

const READY = /Server is ready to receive web requests/;
const START_TIMEOUT_MS = 30_000;
const TARGETS_FILE = "targets.json";

export async function startPrometheus(options: PrometheusOptions = {}): Promise<Prometheus> {
  const mode = options.mode ?? (await serverMode());
  const intervalMs = options.scrapeIntervalMs ?? 1_000;
  const dir = mkdtempSync(join(tmpdir(), "quiver-prometheus-"));
  const configDir = join(dir, "config");
  const dataDir = join(dir, "data");
  mkdirSync(configDir);
  mkdirSync(dataDir);
  const setTargets = (targets: ScrapeTarget[]) =>
    writeAtomically(join(configDir, TARGETS_FILE), JSON.stringify(targetGroups(targets)));
  setTargets(options.targets ?? []);
  const port = await freePort();
  const backend = mode === "container" ? new ContainerBackend() : new ProcessBackend();
  const url = `http://127.0.0.1:${port}`;
  try {
    // The configuration is written with the paths the server sees (the mounts in a container).
    const paths =
      mode === "container"
        ? { config: "/config", data: "/data" }
        : { config: configDir, data: dataDir };
    writeFileSync(join(configDir, "prometheus.yml"), prometheusConfig(intervalMs, paths.config));
    await backend.start(serverArgs(port, paths), { configDir, dataDir }, url);
  } catch (error) {
    await backend.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    port,
    mode,
    setTargets,
    stop: async () => {
      await backend.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * One file-discovered scrape job whose target groups carry their own `job` label (a target label
 * wins over the job name), path and scheme, so the targets can change while the server runs.
 */
function prometheusConfig(intervalMs: number, configDir: string): string {
  const interval = `${intervalMs}ms`;
  // JSON is YAML: no YAML writer is needed.
  return JSON.stringify({
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    scrape_configs: [
      {
        job_name: "quiver-test",
        file_sd_configs: [{ files: [`${configDir}/${TARGETS_FILE}`], refresh_interval: "1s" }],
      },
    ],
  });
}

function targetGroups(targets: ScrapeTarget[]) {
  return targets.flatMap(({ job, urls }) =>
    urls.map((raw) => {
      const url = new URL(raw);
      return {
        targets: [url.host],
        labels: {
          job,
          __scheme__: url.protocol.replace(":", ""),
          __metrics_path__: url.pathname,
        },
      };
    }),
  );
}

/** Write then rename, so that Prometheus never reads half a file. */
function writeAtomically(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}

function serverArgs(port: number, paths: { config: string; data: string }): string[] {
  return [
    `--config.file=${paths.config}/prometheus.yml`,
    `--storage.tsdb.path=${paths.data}`,
    `--web.listen-address=127.0.0.1:${port}`,
    "--web.enable-lifecycle",
  ];
}

interface Backend {
  start(args: string[], dirs: { configDir: string; dataDir: string }, url: string): Promise<void>;
  stop(): Promise<void>;
}

/** The server in a container built from Debian's binary, host network, its directories mounted. */
class ContainerBackend implements Backend {
  private id: string | undefined;

  async start(args: string[], dirs: { configDir: string; dataDir: string }, url: string) {
    const { GenericContainer, Wait } = await import("testcontainers");
    const image = await ensureImage("prometheus");
    const container = await new GenericContainer(image)
      .withNetworkMode("host")
      .withBindMounts([
        { source: dirs.configDir, target: "/config", mode: "ro" },
        { source: dirs.dataDir, target: "/data", mode: "rw" },
      ])
      .withCommand(args)
      .withWaitStrategy(Wait.forLogMessage(READY))
      .withStartupTimeout(START_TIMEOUT_MS)
      .start();
    this.id = container.getId();
    await waitForHttp(`${url}/-/ready`, START_TIMEOUT_MS);
  }

  async stop(): Promise<void> {
    const id = this.id;
    this.id = undefined;
    if (id) await removeContainer(id);
  }
}

/** The same binary as a child process, for machines without a Docker engine. */
class ProcessBackend implements Backend {
  private child: ChildProcess | undefined;

  async start(args: string[], _dirs: unknown, url: string) {
    const child = spawn("prometheus", args, { stdio: ["ignore", "ignore", "pipe"] });
    this.child = child;
    let log = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      // Keep the start-up log for the error message; drop it once the server serves.
      if (log.length < 64_000) log += chunk.toString();
    });
    // Like nst: race readiness against an early exit.
    const exited = new Promise<never>((_, reject) => {
      child.once("exit", (code) =>
        reject(new Error(`prometheus exited with ${code} before it was ready:\n${log}`)),
      );
      child.once("error", reject);
    });
    try {
      await waitForHttp(`${url}/-/ready`, START_TIMEOUT_MS, exited);
    } catch (error) {
      throw error instanceof Error && !/exited/.test(error.message)
        ? new Error(`${error.message}\n${log}`)
        : error;
    }
  }

  stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    return signalChild(child, "SIGTERM");
  }
}
