import type { OriginalsSource } from "@quiver/engine";
import type { PartitionStore } from "@quiver/store";

/** The float32 originals of one library in one partition, read from the shard's LMDB store. */
export class StoreOriginals implements OriginalsSource {
  constructor(
    private readonly store: PartitionStore,
    private readonly partition: number,
    private readonly libraryId: string,
    readonly dim: number,
  ) {}

  read(id: number, out: Float32Array, offset: number): boolean {
    return this.store.readOriginal(this.partition, this.libraryId, id, out, offset);
  }

  /**
   * A chunk of originals for the hybrid rerank or an exact scan, straight into `out` (kernel
   * memory): one LMDB read per id for now (the store may batch them later).
   */
  readMany(
    ids: ArrayLike<number>,
    n: number,
    out: Float32Array,
    offset: number,
    stride: number,
    found: Uint8Array,
  ): number {
    const { store, partition, libraryId } = this;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const ok = store.readOriginal(partition, libraryId, ids[i], out, offset + i * stride);
      found[i] = ok ? 1 : 0;
      if (ok) count++;
    }
    return count;
  }

  /** Nothing is held in RAM: reads go to LMDB's memory map (the page cache). */
  residentBytes(): number {
    return 0;
  }
}
