import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findPostgres } from "./postgres.js";

const root = mkdtempSync(join(tmpdir(), "quiver-find-postgres-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fake install: bin/{initdb,postgres,pg_config} scripts and share/extension/. */
function fakeInstall(name: string, withVector: boolean): string {
  const bin = join(root, name, "bin");
  const share = join(root, name, "share");
  mkdirSync(bin, { recursive: true });
  mkdirSync(join(share, "extension"), { recursive: true });
  const script = (file: string, body: string) => {
    writeFileSync(join(bin, file), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, file), 0o755);
  };
  script("initdb", "exit 0");
  script("postgres", 'echo "postgres (PostgreSQL) 15.99 (Test)"');
  script("pg_config", `echo ${share}`);
  if (withVector)
    writeFileSync(join(share, "extension", "vector.control"), "default_version = '0.8.1'\n");
  return bin;
}

describe("findPostgres", () => {
  const noPath = { PATH: "/nonexistent" };

  it("finds an install with the vector extension, and says which versions", () => {
    const bin = fakeInstall("with", true);
    expect(findPostgres({ ...noPath, QUIVER_PG_BINDIR: bin }, join(root, "none"))).toEqual({
      binDir: bin,
      version: "15.99",
      vectorVersion: "0.8.1",
    });
  });

  it("says why when pgvector is not installed", () => {
    const bin = fakeInstall("without", false);
    const found = findPostgres({ ...noPath, QUIVER_PG_BINDIR: bin }, join(root, "none"));
    expect(found).toEqual({ missing: expect.stringContaining("vector.control is missing") });
  });

  it("says why when there is no PostgreSQL", () => {
    expect(findPostgres({ ...noPath, QUIVER_PG_BINDIR: join(root, "empty") })).toEqual({
      missing: expect.stringContaining("has no initdb"),
    });
    expect(findPostgres(noPath, join(root, "none"))).toEqual({
      missing: expect.stringContaining("no PostgreSQL found"),
    });
  });

  it("looks in Debian's /usr/lib/postgresql/N, newest first, for one with pgvector", () => {
    const debian = join(root, "debian");
    mkdirSync(debian);
    const old = fakeInstall("debian/9", true);
    fakeInstall("debian/16", false);
    const found = findPostgres(noPath, debian);
    expect(found).toEqual({ binDir: old, version: "15.99", vectorVersion: "0.8.1" });
  });
});
