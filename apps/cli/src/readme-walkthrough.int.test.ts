import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { silentLogger } from "@quiver/telemetry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Embedded, startEmbedded } from "./embedded.js";

const readme = resolve(dirname(fileURLToPath(import.meta.url)), "../../../README.md");

/** The shell block between the walkthrough markers of the README. */
function walkthrough(): string {
  const text = readFileSync(readme, "utf8");
  const block = /<!-- walkthrough:start -->\s*```sh\n([\s\S]*?)```\s*<!-- walkthrough:end -->/.exec(
    text,
  );
  if (!block) throw new Error("README.md has no walkthrough block");
  return block[1];
}

describe("the README's curl walkthrough", () => {
  let quiver: Embedded;
  const dataDir = mkdtempSync(join(tmpdir(), "quiver-readme-"));
  beforeAll(async () => {
    quiver = await startEmbedded(
      { host: "127.0.0.1", port: 0, dataDir, partitions: 1, logLevel: "silent" },
      silentLogger(),
    );
  });
  afterAll(async () => {
    await quiver?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("works as written (only the address differs)", async () => {
    const script = walkthrough();
    expect(script).toContain("Q=http://127.0.0.1:8080\n");
    // async: the server that answers curl runs in this process
    const script2 = script.replace("Q=http://127.0.0.1:8080\n", `Q=${quiver.url}\n`);
    const { stdout: output } = await promisify(execFile)(
      "bash",
      ["-euo", "pipefail", "-c", script2],
      {
        encoding: "utf8",
      },
    );
    const lines = output.trim().split("\n");
    expect(lines[0]).toMatch(/^library lib_/);
    expect(JSON.parse(lines[1])).toMatchObject({ status: "applied", count: 3 });
    const search = JSON.parse(lines[2]) as { results: { id: string; metadata: unknown }[] };
    expect(search.results.map((r) => r.id)).toEqual(["a"]);
    expect(search.results[0].metadata).toEqual({ genre: "news", year: 2021 });
    expect(JSON.parse(lines[3])).toMatchObject({
      id: "b",
      metadata: { genre: "sport", year: 2022 },
    });
    expect(JSON.parse(lines[4])).toMatchObject({ status: "applied", count: 1 });
    expect(JSON.parse(lines[5])).toMatchObject({ deleted: true });
  });
});
