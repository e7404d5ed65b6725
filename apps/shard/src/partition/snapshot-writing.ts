import type { PartitionStore, SnapshotWriter } from "@quiver/store";
import type { TimeSlice } from "@quiver/threads";
import type { LibraryIndex } from "./library-index.js";

/** Bytes written to the store between two chances for a search to run. */
const PIECE_BYTES = 4 * 1024 * 1024;

/**
 * Writes a library index's snapshot into a new SnapshotWriter straight from the index's memory,
 * 4 MiB at a time with a pause between pieces when the slice is due, so that searches run while a
 * large index is written and no copy of the whole index is made first. The index must not change
 * until it returns (the caller holds the partition's apply queue). The caller commits the writer
 * (or switches to it), with nothing applied in between, or abandons it.
 */
export async function writeIndexSnapshot(
  store: PartitionStore,
  partition: number,
  index: LibraryIndex,
  slice: TimeSlice,
): Promise<SnapshotWriter> {
  const { pieces, release } = index.snapshotPieces();
  const writer = store.snapshotWriter(partition, index.record.libraryId);
  try {
    for (const piece of pieces) {
      for (let at = 0; at < piece.length; at += PIECE_BYTES) {
        // asked afresh after every pause: a search may have grown the memory (a new buffer)
        const bytes = piece.bytes();
        writer.write(bytes.subarray(at, Math.min(piece.length, at + PIECE_BYTES)));
        await slice.yieldIfDue();
      }
    }
    return writer;
  } catch (error) {
    writer.abandon();
    throw error;
  } finally {
    release();
  }
}
