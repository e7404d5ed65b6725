import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface PrometheusProcessOptions {
  /** Debian's binary unless told. */
  binary?: string;
  port: number;
  /** Its configuration (prometheus.yml) and storage (data/) go here. */
  dir: string;
  /** Scrape jobs: each job's targets as host:port, scraped at /metrics. */
  jobs: Record<string, string[]>;
  scrapeIntervalMs?: number;
}

export interface PrometheusProcess {
  url: string;
  child: ChildProcess;
  /** SIGTERM, then waits for it to exit. */
  stop(): Promise<void>;
}

/** The scrape configuration for `jobs` (JSON is YAML: Prometheus reads it as it is). */
export function scrapeConfig(jobs: Record<string, string[]>, scrapeIntervalMs = 5_000): string {
  const interval = `${scrapeIntervalMs}ms`;
  return JSON.stringify(
    {
      global: {
        scrape_interval: interval,
        scrape_timeout: interval,
        evaluation_interval: interval,
      },
      scrape_configs: Object.entries(jobs).map(([job, targets]) => ({
        job_name: job,
        static_configs: [{ targets }],
      })),
    },
    null,
    2,
  );
}

/**
 * Debian's prometheus as a child process on 127.0.0.1:port, scraping `jobs`; resolves once its
 * /-/ready answers.
 */
export async function startPrometheusProcess(
  options: PrometheusProcessOptions,
): Promise<PrometheusProcess> {
  const binary = options.binary ?? "/usr/bin/prometheus";
  if (!existsSync(binary)) {
    throw new Error(
      `${binary} not found: install Debian's prometheus (apt-get install prometheus) or pass --prometheus-binary`,
    );
  }
  mkdirSync(join(options.dir, "data"), { recursive: true });
  const configFile = join(options.dir, "prometheus.yml");
  writeFileSync(configFile, scrapeConfig(options.jobs, options.scrapeIntervalMs));
  const url = `http://127.0.0.1:${options.port}`;
  const child = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(options.dir, "data")}`,
      `--web.listen-address=127.0.0.1:${options.port}`,
    ],
    { stdio: ["ignore", "ignore", "ignore"] },
  );
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`prometheus exited with ${child.exitCode} (is port ${options.port} taken?)`);
    }
    const ready = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2_000) }).then(
      async (r) => (await r.body?.cancel(), r.ok),
      () => false,
    );
    if (ready) return { url, child, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus did not answer ${url}/-/ready within 30 s`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
