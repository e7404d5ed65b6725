import { CATALOG_PARTITION, encodeEvent, type QuiverEvent } from "@quiver/events";
import { JetStreamKv, JetStreamLog } from "@quiver/log";
import { type NatsServer, startNatsServer } from "@quiver/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Catalog, CATALOG_BUCKET } from "./catalog.js";
import {
  catalogHistory,
  libraryCreated,
  policyDecision,
  recallMeasured,
} from "./test-support/catalog-history.js";

/** Coordinators on NATS: the log's stream and the catalog's KV bucket, on one server. */
describe("Catalog on JetStream", () => {
  let server: NatsServer;
  const open: { close(): Promise<void> }[] = [];
  const catalogs: Catalog[] = [];
  let n = 0;

  /** A coordinator's connection, log and KV bucket. */
  async function coordinator() {
    const log = await JetStreamLog.connect({ servers: server.url, appendTimeoutMs: 30_000 });
    const kv = await JetStreamKv.open(log.connection, { bucket: CATALOG_BUCKET });
    open.push(kv, log);
    const append = (event: QuiverEvent) =>
      log.append(CATALOG_PARTITION, encodeEvent(event), `e${n++}`);
    const start = async () => {
      const catalog = new Catalog(log, kv);
      catalogs.push(catalog);
      return { catalog, info: await catalog.start() };
    };
    return { log, kv, append, start };
  }

  beforeEach(async () => {
    server = await startNatsServer();
  });
  afterEach(async () => {
    for (const c of catalogs.splice(0)) await c.stop();
    for (const o of open.splice(0).reverse()) await o.close();
    await server.stop();
  });

  it("shares the facts between coordinators and starts from a snapshot, through a server crash", async () => {
    const a = await coordinator();
    const history = catalogHistory(5, 300);
    for (const e of history) await a.append(e);
    await a.append(libraryCreated("lib_kv"));
    const { catalog: first, info } = await a.start();
    expect(info).toMatchObject({ snapshotSeq: 0, replayed: 301 });
    const b = await coordinator();
    const { catalog: second } = await b.start();
    await first.facts.putRecall(recallMeasured("lib_kv", 5000, 0.97));
    await second.facts.putDecision(policyDecision("lib_kv", 6000));
    await expect.poll(() => second.recall("lib_kv")?.recallAt10).toBe(0.97);
    await expect.poll(() => first.lastDecision("lib_kv")?.atMs).toBe(6000);
    const state = first.stateData();
    await first.stop(); // a clean stop: the snapshot
    catalogs.splice(catalogs.indexOf(first), 1);
    await b.append({ type: "library.deleted", libraryId: history[0].libraryId });

    // SIGKILL: what the server acknowledged (events, facts, the snapshot) is in its store
    await server.kill();
    await server.restart();
    const c = await coordinator();
    const { catalog: restarted, info: again } = await c.start();
    expect(again).toMatchObject({ snapshotSeq: state.seq, replayed: 1 });
    expect(restarted.get(history[0].libraryId)).toBeUndefined();
    expect(restarted.recall("lib_kv")?.recallAt10).toBe(0.97);
    expect(restarted.lastDecision("lib_kv")?.atMs).toBe(6000);
    await expect.poll(() => second.appliedSeq, { timeout: 20_000 }).toBe(restarted.appliedSeq);
    expect(restarted.stateData()).toEqual(second.stateData());
  });
});
