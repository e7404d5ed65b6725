import type { OriginalsSource } from "@quiver/engine";
import type { VectorRows } from "../partition/index-build.js";

/** Originals served from the rows a rebuild received, by internal id (no copy). */
export class RowOriginals implements OriginalsSource {
  private readonly rowOf: Int32Array;

  constructor(
    private readonly rows: VectorRows,
    readonly dim: number,
  ) {
    let bound = 0;
    for (let i = 0; i < rows.ids.length; i++) bound = Math.max(bound, rows.ids[i] + 1);
    this.rowOf = new Int32Array(bound).fill(-1);
    for (let i = 0; i < rows.ids.length; i++) this.rowOf[rows.ids[i]] = i;
  }

  read(id: number, out: Float32Array, offset: number): boolean {
    const row = id < this.rowOf.length ? this.rowOf[id] : -1;
    if (row < 0) return false;
    out.set(this.rows.values.subarray(row * this.dim, (row + 1) * this.dim), offset);
    return true;
  }

  residentBytes(): number {
    return this.rows.values.byteLength + this.rowOf.byteLength;
  }
}
