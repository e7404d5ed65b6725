// The stores bench:startup writes a history into and starts coordinators over: in a cluster a
// real nats-server (the JetStream log and the catalog's KV bucket), embedded the LMDB log and KV
// store in a data directory, as `quiver serve` keeps them.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CATALOG_BUCKET } from "@quiver/coordinator";
import {
  type EventLog,
  JetStreamKv,
  JetStreamLog,
  type KvStore,
  LmdbKv,
  LmdbLog,
} from "@quiver/log";
import { startNatsServer } from "@quiver/testing";
import { bundle } from "../bundles.js";

export type Mode = "cluster" | "embedded";

/** How to start a coordinator process over a store: its bundle, its arguments and settings. */
export interface ProcessSpec {
  script: string;
  args: string[];
  env: Record<string, string>;
}

/** A log and KV store of one mode, opened in this process. */
export interface Store {
  mode: Mode;
  log: EventLog;
  kv: KvStore;
  /** Closes this process's handles (an embedded store is one process's at a time); idempotent. */
  release(): Promise<void>;
  /** A coordinator process over the store: dist/coordinator.mjs on NATS, `quiver serve` embedded. */
  process(port: number): ProcessSpec;
  dispose(): Promise<void>;
}

export async function openStore(mode: Mode): Promise<Store> {
  return mode === "cluster" ? clusterStore() : embeddedStore();
}

async function clusterStore(): Promise<Store> {
  const server = await startNatsServer();
  const log = await JetStreamLog.connect({ servers: server.url });
  const kv = await JetStreamKv.open(log.connection, { bucket: CATALOG_BUCKET });
  const release = once(async () => {
    await kv.close();
    await log.close();
  });
  return {
    mode: "cluster",
    log,
    kv,
    release,
    process: (port) => ({
      script: bundle("coordinator"),
      args: [],
      env: { QUIVER_NATS_URL: server.url, QUIVER_PORT: String(port) },
    }),
    dispose: async () => {
      await release();
      await server.stop();
    },
  };
}

async function embeddedStore(): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), "quiver-bench-startup-"));
  const log = LmdbLog.open({ path: join(dir, "log") });
  const kv = LmdbKv.open({ path: join(dir, "kv") });
  const release = once(async () => {
    await kv.close();
    await log.close();
  });
  return {
    mode: "embedded",
    log,
    kv,
    release,
    process: (port) => ({
      script: bundle("cli"),
      args: ["serve"],
      env: { QUIVER_DATA_DIR: dir, QUIVER_PORT: String(port) },
    }),
    dispose: async () => {
      await release();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function once(run: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= run());
}
