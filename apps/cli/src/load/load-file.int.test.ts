import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { QuiverClient } from "@quiver/api";
import { silentLogger } from "@quiver/telemetry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Embedded, startEmbedded } from "../embedded.js";
import { randomVectors } from "../test-support/vectors.js";
import { loadFile } from "./load-file.js";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");

function fvecsBytes(data: Float32Array, dim: number): Buffer {
  const rows = data.length / dim;
  const out = Buffer.alloc(rows * (4 + dim * 4));
  for (let i = 0; i < rows; i++) {
    out.writeInt32LE(dim, i * (4 + dim * 4));
    Buffer.from(data.buffer, data.byteOffset + i * dim * 4, dim * 4).copy(
      out,
      i * (4 + dim * 4) + 4,
    );
  }
  return out;
}

function npyBytes(data: Float32Array, dim: number): Buffer {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${data.length / dim}, ${dim}), }`;
  header += " ".repeat(64 - ((10 + header.length + 1) % 64)) + "\n";
  const head = Buffer.alloc(10);
  head.write("\x93NUMPY", 0, "latin1");
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([
    head,
    Buffer.from(header, "latin1"),
    Buffer.from(data.buffer, data.byteOffset, data.byteLength),
  ]);
}

describe("quiver load", () => {
  let quiver: Embedded;
  let client: QuiverClient;
  const dir = mkdtempSync(join(tmpdir(), "quiver-load-"));
  beforeAll(async () => {
    quiver = await startEmbedded(
      { host: "127.0.0.1", port: 0, dataDir: join(dir, "data"), partitions: 2, logLevel: "silent" },
      silentLogger(),
    );
    client = new QuiverClient({ url: quiver.url });
  });
  afterAll(async () => {
    await quiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("imports .fvecs, .npy and JSON lines", async () => {
    const dim = 8;
    const data = randomVectors(1500, dim, 1);
    writeFileSync(join(dir, "a.fvecs"), fvecsBytes(data, dim));
    writeFileSync(join(dir, "a.npy"), npyBytes(data, dim));
    writeFileSync(
      join(dir, "a.jsonl"),
      Array.from({ length: 300 }, (_, i) =>
        JSON.stringify({
          id: `j${i}`,
          vector: Array.from(data.subarray(i * dim, (i + 1) * dim)),
          metadata: { i },
        }),
      ).join("\n"),
    );
    for (const [file, rows] of [
      ["a.fvecs", 1500],
      ["a.npy", 1500],
      ["a.jsonl", 300],
    ] as const) {
      const lib = await client.createLibrary({ name: file.replace(".", "-"), dimension: dim });
      const result = await loadFile({
        url: quiver.url,
        library: lib.name,
        file: join(dir, file),
        batchSize: 256,
        progress: false,
      });
      expect(result.rows).toBe(rows);
      const id = file.endsWith("jsonl") ? "j7" : "7";
      const got = await client.getVector(lib.id, id, { consistency: "strong" });
      expect(got.vector).toEqual(Array.from(data.subarray(7 * dim, 8 * dim)));
      if (file.endsWith("jsonl")) expect(got.metadata).toEqual({ i: 7 });
      await expect
        .poll(async () => (await client.getLibrary(lib.id)).num_vectors, { timeout: 20_000 })
        .toBe(rows);
      expect(existsSync(`${join(dir, file)}.quiver-load-${lib.id}.json`)).toBe(false);
    }
  });

  it("resumes an import interrupted by SIGKILL from its checkpoint", async () => {
    const dim = 32;
    const rows = 20_000;
    const file = join(dir, "big.fvecs");
    writeFileSync(file, fvecsBytes(randomVectors(rows, dim, 2), dim));
    const lib = await client.createLibrary({ name: "resumed", dimension: dim });
    const checkpoint = `${file}.quiver-load-${lib.id}.json`;
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "apps/cli/src/main.ts",
        "load",
        lib.id,
        file,
        "--url",
        quiver.url,
        "--batch",
        "200",
        "--concurrency",
        "1",
      ],
      { cwd: repo, stdio: "ignore" },
    );
    const exited = new Promise((r) => child.once("exit", r));
    const done = () =>
      existsSync(checkpoint)
        ? (JSON.parse(readFileSync(checkpoint, "utf8")) as { rowsDone: number }).rowsDone
        : 0;
    await expect.poll(done, { timeout: 60_000, interval: 20 }).toBeGreaterThanOrEqual(2_000);
    child.kill("SIGKILL");
    await exited;
    const stoppedAt = done();
    expect(stoppedAt).toBeLessThan(rows);
    const result = await loadFile({
      url: quiver.url,
      library: lib.id,
      file,
      batchSize: 500,
      progress: false,
    });
    expect(result.resumedFrom).toBe(stoppedAt);
    expect(result.rows).toBe(rows);
    await expect
      .poll(async () => (await client.getLibrary(lib.id)).num_vectors, { timeout: 30_000 })
      .toBe(rows);
  });
});
