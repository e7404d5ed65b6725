import type { PartitionStore } from "@quiver/store";
import type { TimeSlice } from "@quiver/threads";

/** Rows per read: about 0.8 MB of 784-d originals, well inside one slice. */
const CHUNK_ROWS = 256;

/**
 * A library's originals in a partition, read a chunk at a time with the thread's slices between
 * (tens of megabytes would otherwise hold the thread, and the searches on it, in one read).
 * Rows written meanwhile may or may not be in the answer: the caller tracks what changes from the
 * first read on and applies those changes again.
 */
export async function originalRowsInSlices(
  store: PartitionStore,
  partition: number,
  libraryId: string,
  dim: number,
  slice: TimeSlice,
): Promise<{ ids: Int32Array; values: Float32Array }> {
  let capacity = Math.max(CHUNK_ROWS, store.count(partition, libraryId));
  let ids = new Int32Array(capacity);
  let values = new Float32Array(capacity * dim);
  let n = 0;
  let fromId = 0;
  for (;;) {
    if (n === capacity) {
      capacity *= 2;
      const moreIds = new Int32Array(capacity);
      const moreValues = new Float32Array(capacity * dim);
      moreIds.set(ids);
      moreValues.set(values);
      ids = moreIds;
      values = moreValues;
    }
    const max = Math.min(CHUNK_ROWS, capacity - n);
    const read = store.readOriginals(partition, libraryId, dim, fromId, ids, values, n, max);
    n += read;
    if (read < max) break;
    fromId = ids[n - 1] + 1;
    await slice.yieldIfDue();
  }
  return { ids: ids.subarray(0, n), values: values.subarray(0, n * dim) };
}
