// The rebuild thread of a partition thread: builds libraries' indexes for migrations and
// trainings off the serving thread, one after another, while the serving thread keeps applying
// events and answering searches (on the codes of the quantizer trained for the library, when the
// build has one). It stays for the next build, and leaves when it has been idle a while.
import { parentPort } from "node:worker_threads";
import { KernelWorkspace } from "@quiver/engine";
import { lowerThreadPriority } from "@quiver/threads";
import { buildLibraryIndex, serializeIndex } from "../partition/index-build.js";
import type { RebuildJobMessage, RebuildMessage } from "./rebuild-protocol.js";
import { RowOriginals } from "./row-originals.js";

// background work: the lowest CPU priority (the serving threads come first)
lowerThreadPriority(19);
const port = parentPort;
if (!port) throw new Error("rebuild-worker.ts runs as a worker thread");
const post = (message: RebuildMessage, transfer: ArrayBuffer[] = []) =>
  port.postMessage(message, transfer);

port.on("message", ({ job, input }: RebuildJobMessage) => {
  try {
    const rows = { ids: input.ids, values: input.values };
    const built = buildLibraryIndex(
      input.record,
      rows,
      input.capacity,
      new RowOriginals(rows, input.record.dimension),
      // a workspace of the build's own: its memory goes when the build is done
      new KernelWorkspace(),
      (done, total) => post({ type: "progress", job, done, total }),
      input.quantizer,
    );
    const snapshot = serializeIndex(built.stored, built.phase);
    // the quantizer it was built with (none: float32, or exact until the library is trained)
    const quantizer = built.phase === "quantized" ? input.quantizer?.slice() : undefined;
    built.dispose();
    post({ type: "built", job, snapshot, quantizer }, [
      snapshot.buffer as ArrayBuffer,
      ...(quantizer ? [quantizer.buffer as ArrayBuffer] : []),
    ]);
  } catch (error) {
    post({ type: "failed", job, message: error instanceof Error ? error.message : String(error) });
  }
});
