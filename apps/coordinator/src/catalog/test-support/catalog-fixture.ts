import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CATALOG_PARTITION, encodeEvent, type QuiverEvent } from "@quiver/events";
import { type KvStore, LmdbKv, LmdbLog } from "@quiver/log";
import { afterEach, beforeEach, expect } from "vitest";
import { Catalog, type CatalogOptions } from "../catalog.js";

/** An embedded log and KV store in a fresh directory, and catalogs over them. */
export interface CatalogFixture {
  dir: string;
  log: LmdbLog;
  kv: LmdbKv;
  /** Appends an event to the catalog partition. */
  append(event: QuiverEvent): ReturnType<LmdbLog["append"]>;
  /** Starts a catalog over the log and `store` (the fixture's KV store by default). */
  start(
    options?: CatalogOptions,
    store?: KvStore,
  ): Promise<{ catalog: Catalog; info: Awaited<ReturnType<Catalog["start"]>> }>;
  stop(catalog: Catalog): Promise<void>;
  /** Another KV store over another directory (a coordinator that has no snapshot). */
  freshKv(name: string): LmdbKv;
}

/** Registers the hooks that make and remove the fixture around each test. */
export function useCatalogFixture(): CatalogFixture {
  const running: Catalog[] = [];
  const opened: LmdbKv[] = [];
  let n = 0;
  const f: CatalogFixture = {
    dir: "",
    log: undefined as unknown as LmdbLog,
    kv: undefined as unknown as LmdbKv,
    append: (event) => f.log.append(CATALOG_PARTITION, encodeEvent(event), `m${n++}`),
    async start(options = {}, store = f.kv) {
      const catalog = new Catalog(f.log, store, undefined, options);
      running.push(catalog);
      return { catalog, info: await catalog.start() };
    },
    async stop(catalog) {
      running.splice(running.indexOf(catalog), 1);
      await catalog.stop();
    },
    freshKv(name) {
      const kv = LmdbKv.open({ path: join(f.dir, name) });
      opened.push(kv);
      return kv;
    },
  };
  beforeEach(() => {
    f.dir = mkdtempSync(join(tmpdir(), "quiver-catalog-"));
    f.log = LmdbLog.open({ path: join(f.dir, "log") });
    f.kv = LmdbKv.open({ path: join(f.dir, "kv") });
  });
  afterEach(async () => {
    for (const c of running.splice(0)) await c.stop();
    for (const kv of opened.splice(0)) await kv.close();
    await f.kv.close();
    await f.log.close();
    rmSync(f.dir, { recursive: true, force: true });
  });
  return f;
}

/** The two views answer every query alike. */
export function expectSameAnswers(a: Catalog, b: Catalog): void {
  expect(a.all()).toEqual(b.all());
  expect(a.list("default")).toEqual(b.list("default"));
  expect(a.activeMigrations()).toEqual(b.activeMigrations());
  for (const library of b.all()) {
    const id = library.libraryId;
    expect(a.migrationsOf(id)).toEqual(b.migrationsOf(id));
    expect(a.activeMigration(id)).toEqual(b.activeMigration(id));
    expect(a.currentTraining(library)).toEqual(b.currentTraining(library));
    for (const m of b.migrationsOf(id)) {
      expect(a.migration(m.migrationId)).toEqual(m);
      if (m.trainingId) expect(a.trained(m.trainingId)).toBe(b.trained(m.trainingId));
    }
  }
}
