import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "@quiver/telemetry";
import { startEmbedded } from "./embedded.js";
import { defineMigrationSuite } from "./test-support/migration-suite.js";

defineMigrationSuite("embedded", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "quiver-migrate-"));
  const partitions = 3;
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
});
