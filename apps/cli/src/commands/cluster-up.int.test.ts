import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { QuiverClient } from "@quiver/api";
import { freePort } from "@quiver/testing";
import { describe, expect, it } from "vitest";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
const run = promisify(execFile);

/** The values of an instant query's samples. */
async function query(prometheus: string, promql: string): Promise<number[]> {
  const response = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await response.json()) as { data: { result: { value: [number, string] }[] } };
  return body.data.result.map((s) => Number(s.value[1]));
}

/** Targets scraped successfully, by job. */
async function upTargets(prometheus: string): Promise<Record<string, number>> {
  const response = await fetch(
    `${prometheus}/api/v1/query?query=${encodeURIComponent("sum by (job) (up)")}`,
  );
  const body = (await response.json()) as {
    data: { result: { metric: { job: string }; value: [number, string] }[] };
  };
  return Object.fromEntries(body.data.result.map((s) => [s.metric.job, Number(s.value[1])]));
}

describe("infra/prometheus/prometheus.yml", () => {
  it("is a valid configuration (promtool) that scrapes the ports cluster up uses by default", async () => {
    const file = join(repo, "infra/prometheus/prometheus.yml");
    const { stdout } = await run("promtool", ["check", "config", file]);
    expect(stdout).toContain("SUCCESS");
    const text = readFileSync(file, "utf8");
    expect(text).toMatch(
      /job_name: quiver-shard\n\s+static_configs:\n\s+- targets:\n\s+- 127.0.0.1:9101/,
    );
    expect(text).toMatch(
      /job_name: quiver-coordinator\n\s+static_configs:\n\s+- targets:\n\s+- 127.0.0.1:8080/,
    );
  });
});

describe("quiver cluster up", () => {
  it("starts nats-server, shard nodes, a coordinator that serve the API and a Prometheus that scrapes them, and stops them all on SIGINT", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "quiver-cluster-up-"));
    const [port, natsPort, prometheusPort] = [await freePort(), await freePort(), await freePort()];
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "apps/cli/src/main.ts",
        "cluster",
        "up",
        "--shards",
        "2",
        "--partitions",
        "2",
        "--port",
        String(port),
        "--nats-port",
        String(natsPort),
        "--data-dir",
        dataDir,
        "--shard-http-port",
        "0",
        "--prometheus",
        "--prometheus-port",
        String(prometheusPort),
      ],
      {
        cwd: repo,
        stdio: ["ignore", "pipe", "ignore"],
        env: { ...process.env, QUIVER_LOG_LEVEL: "warn" },
      },
    );
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    try {
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      await expect
        .poll(() => output, { timeout: 90_000, interval: 200 })
        .toContain("Quiver cluster up");
      const client = new QuiverClient({ url: `http://127.0.0.1:${port}` });
      const lib = await client.createLibrary({ name: "up", dimension: 2 });
      expect(lib.partitions).toBe(2);
      await client.upsert(lib.id, [{ id: "a", vector: [1, 1] }], { wait: true });
      expect((await client.search(lib.id, [1, 1], { k: 1 })).results[0].id).toBe("a");
      // Prometheus scrapes both shard nodes and the coordinator, and sees the library's bytes.
      const prometheus = `http://127.0.0.1:${prometheusPort}`;
      expect(output).toContain(`Prometheus ${prometheus}`);
      await expect
        .poll(() => upTargets(prometheus), { timeout: 60_000, interval: 500 })
        .toEqual({ "quiver-coordinator": 1, "quiver-shard": 2 });
      await expect
        .poll(() => query(prometheus, `sum(quiver_library_vectors{library_id="${lib.id}"})`), {
          timeout: 30_000,
          interval: 500,
        })
        .toEqual([1]);
      child.kill("SIGINT");
      expect(await exited).toBe(0);
      // nothing listens any more
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
      await expect(fetch(`${prometheus}/-/ready`)).rejects.toThrow();
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
