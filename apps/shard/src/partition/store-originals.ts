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

  /** Nothing is held in RAM: reads go to LMDB's memory map (the page cache). */
  residentBytes(): number {
    return 0;
  }
}
