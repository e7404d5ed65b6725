import type { PartitionStore, SnapshotWriter } from "@quiver/store";
import type { TimeSlice } from "@quiver/threads";
import type { LibraryIndex } from "./library-index.js";

/** Bytes written to the store between two chances for a search to run. */
const PIECE_BYTES = 4 * 1024 * 1024;

/**
 * Writes a library index's snapshot into a new SnapshotWriter, piece by piece with a pause
 * between pieces when the slice is due, so that searches run while a large index is written.
 * The caller commits it (or switches to it), with nothing applied in between.
 */
export async function writeIndexSnapshot(
  store: PartitionStore,
  partition: number,
  index: LibraryIndex,
  slice: TimeSlice,
): Promise<SnapshotWriter> {
  const bytes = index.serialize();
  await slice.yieldIfDue();
  const writer = store.snapshotWriter(partition, index.record.libraryId);
  for (let at = 0; at < bytes.byteLength; at += PIECE_BYTES) {
    writer.write(bytes.subarray(at, at + PIECE_BYTES));
    await slice.yieldIfDue();
  }
  return writer;
}
