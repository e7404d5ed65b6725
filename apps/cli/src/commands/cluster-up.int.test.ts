import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { QuiverClient } from "@quiver/api";
import { freePort } from "@quiver/testing";
import { describe, expect, it } from "vitest";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");

describe("quiver cluster up", () => {
  it("starts nats-server, shard nodes and a coordinator that serve the API, and stops them all on SIGINT", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "quiver-cluster-up-"));
    const [port, natsPort] = [await freePort(), await freePort()];
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
      child.kill("SIGINT");
      expect(await exited).toBe(0);
      // nothing listens any more
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
