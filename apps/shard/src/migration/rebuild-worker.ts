// Builds a library's index for a migration off the shard's event loop: the shard keeps applying
// events and answering searches while this thread trains the quantizer and inserts every vector.
import { KernelWorkspace, quantizerBytes } from "@quiver/engine";
import { parentPort, workerData } from "node:worker_threads";
import { buildLibraryIndex, serializeIndex } from "../partition/index-build.js";
import type { RebuildInput, RebuildMessage } from "./rebuild-protocol.js";
import { RowOriginals } from "./row-originals.js";

const input = (workerData as { input: RebuildInput }).input;
const post = (message: RebuildMessage, transfer: ArrayBuffer[] = []) =>
  parentPort?.postMessage(message, transfer);

const rows = { ids: input.ids, values: input.values };
const built = buildLibraryIndex(
  input.record,
  rows,
  input.capacity,
  new RowOriginals(rows, input.record.dimension),
  // the worker's own: one thread, one workspace
  new KernelWorkspace(),
  (done, total) => post({ type: "progress", done, total }),
);
const snapshot = serializeIndex(built.stored, built.phase);
const quantizer = built.quantizer ? quantizerBytes(built.quantizer) : undefined;
post({ type: "built", snapshot, quantizer }, [
  snapshot.buffer as ArrayBuffer,
  ...(quantizer ? [quantizer.buffer as ArrayBuffer] : []),
]);
