// Builds a library's index for a migration off the shard's event loop: the shard keeps applying
// events and answering searches while this thread inserts every vector (on the codes of the
// quantizer trained for the library, when the build has one).
import { setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import { KernelWorkspace } from "@quiver/engine";
import { buildLibraryIndex, serializeIndex } from "../partition/index-build.js";
import type { RebuildInput, RebuildMessage } from "./rebuild-protocol.js";
import { RowOriginals } from "./row-originals.js";

// background work: the lowest CPU priority, for this thread only (the serving threads come first)
setPriority(19);
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
  input.quantizer,
);
const snapshot = serializeIndex(built.stored, built.phase);
// the quantizer it was built with (none: float32, or exact until the library is trained)
const quantizer = built.phase === "quantized" ? input.quantizer?.slice() : undefined;
post({ type: "built", snapshot, quantizer }, [
  snapshot.buffer as ArrayBuffer,
  ...(quantizer ? [quantizer.buffer as ArrayBuffer] : []),
]);
