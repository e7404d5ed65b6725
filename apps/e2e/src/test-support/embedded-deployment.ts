import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmbedded } from "@quiver/cli";
import { silentLogger } from "@quiver/telemetry";
import type { Deployment } from "./api-suite/context.js";

/** Embedded mode on a free port over a fresh data directory, removed on close. */
export async function startEmbeddedDeployment(partitions: number): Promise<Deployment> {
  const dataDir = mkdtempSync(join(tmpdir(), "quiver-embedded-"));
  const quiver = await startEmbedded(
    { host: "127.0.0.1", port: 0, dataDir, partitions, logLevel: "silent" },
    silentLogger(),
  );
  return {
    url: quiver.url,
    maxPartitions: partitions,
    close: async () => {
      await quiver.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
