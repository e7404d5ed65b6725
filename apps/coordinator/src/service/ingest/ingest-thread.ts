// An ingest thread: turns upsert bodies into log events (parse, validate, group, encode) so that
// a coordinator's serving thread never parses megabytes of JSON while searches wait.
import { parentPort } from "node:worker_threads";
import { lowerThreadPriority, serveRpc, Transferring } from "@quiver/threads";
import { prepareUpsert, type UpsertTarget } from "./prepare-upsert.js";

// below the threads that answer searches: a write may wait a moment for a core, a search should not
lowerThreadPriority(10);
const port = parentPort;
if (!port) throw new Error("ingest-thread.ts runs as a worker thread");
serveRpc(port, (op, args) => {
  if (op !== "prepareUpsert") throw new Error(`unknown operation ${op}`);
  const { body, target, idempotencyKey } = args as {
    body: Uint8Array;
    target: UpsertTarget;
    idempotencyKey?: string;
  };
  const prepared = prepareUpsert(body, target, idempotencyKey);
  // the events' bytes move to the serving thread, uncopied
  const buffers = prepared.ok ? prepared.events.map((e) => e.data.buffer as ArrayBuffer) : [];
  return new Transferring(prepared, [...new Set(buffers)]);
});
port.postMessage({ rpc: "event", event: { type: "ready" } });
