/** Node flags. */
export const PRESENT = 1;
export const DELETED = 2;

/**
 * The links of an HNSW graph in flat typed arrays (hnswlib's layout):
 * - level 0: one block per id in `links0`, [count, up to M0 ids], stride 1 + M0;
 * - levels >= 1: for a node of level L, L blocks [count, up to M ids] in the `upper` pool,
 *   starting at `upperOffset[id]` (-1 for a level-0 node).
 * No per-node objects: a graph of n nodes is a handful of arrays.
 */
export class HnswGraph {
  readonly m0: number;
  readonly stride0: number;
  readonly strideUpper: number;
  links0: Uint32Array;
  upper: Uint32Array;
  upperUsed = 0;
  upperOffset: Int32Array;
  levels: Uint8Array;
  flags: Uint8Array;
  capacity = 0;
  entry = -1;
  maxLevel = -1;
  /** Nodes in the graph, deleted ones included. */
  nodeCount = 0;
  deletedCount = 0;
  /** Highest id ever added + 1. */
  idBound = 0;

  constructor(readonly m: number) {
    this.m0 = 2 * m;
    this.stride0 = 1 + this.m0;
    this.strideUpper = 1 + m;
    this.links0 = new Uint32Array(0);
    // about one node in m has upper levels: room for a few of them to start with
    this.upper = new Uint32Array(4 * this.strideUpper);
    this.upperOffset = new Int32Array(0);
    this.levels = new Uint8Array(0);
    this.flags = new Uint8Array(0);
  }

  reserve(capacity: number): void {
    if (capacity <= this.capacity) return;
    this.links0 = grown(this.links0, capacity * this.stride0) as Uint32Array;
    const offsets = new Int32Array(capacity).fill(-1);
    offsets.set(this.upperOffset);
    this.upperOffset = offsets;
    this.levels = grown(this.levels, capacity) as Uint8Array;
    this.flags = grown(this.flags, capacity) as Uint8Array;
    this.capacity = capacity;
  }

  has(id: number): boolean {
    return id < this.capacity && (this.flags[id] & PRESENT) !== 0;
  }

  isDeleted(id: number): boolean {
    return (this.flags[id] & DELETED) !== 0;
  }

  /** Registers a node with empty link lists on levels 0..level. */
  addNode(id: number, level: number): void {
    this.levels[id] = level;
    this.flags[id] = PRESENT;
    this.links0[id * this.stride0] = 0;
    if (level > 0) {
      const need = level * this.strideUpper;
      if (this.upperUsed + need > this.upper.length) {
        this.upper = grown(
          this.upper,
          Math.max(this.upper.length * 2, this.upperUsed + need),
        ) as Uint32Array;
      }
      this.upperOffset[id] = this.upperUsed;
      this.upper.fill(0, this.upperUsed, this.upperUsed + need);
      this.upperUsed += need;
    }
    this.nodeCount++;
    if (id >= this.idBound) this.idBound = id + 1;
  }

  /** The array holding the links of `level`. */
  linkArray(level: number): Uint32Array {
    return level === 0 ? this.links0 : this.upper;
  }

  /** Offset in linkArray(level) of [count, ids...] for `id`. */
  linkOffset(id: number, level: number): number {
    return level === 0 ? id * this.stride0 : this.upperOffset[id] + (level - 1) * this.strideUpper;
  }

  maxLinks(level: number): number {
    return level === 0 ? this.m0 : this.m;
  }

  setLinks(id: number, level: number, ids: ArrayLike<number>, count: number): void {
    const links = this.linkArray(level);
    const at = this.linkOffset(id, level);
    links[at] = count;
    for (let i = 0; i < count; i++) links[at + 1 + i] = ids[i];
  }

  /** Bytes of the link structures as allocated (they grow geometrically with the ids). */
  bytes(): number {
    return (
      this.links0.byteLength +
      this.upper.byteLength +
      this.upperOffset.byteLength +
      this.levels.byteLength +
      this.flags.byteLength
    );
  }

  /** Drops the arrays (a disposed index holds nothing). */
  clear(): void {
    this.links0 = new Uint32Array(0);
    this.upper = new Uint32Array(0);
    this.upperOffset = new Int32Array(0);
    this.levels = new Uint8Array(0);
    this.flags = new Uint8Array(0);
    this.capacity = 0;
  }
}

function grown(array: Uint32Array | Uint8Array, length: number): Uint32Array | Uint8Array {
  const out = array instanceof Uint32Array ? new Uint32Array(length) : new Uint8Array(length);
  out.set(array);
  return out;
}
