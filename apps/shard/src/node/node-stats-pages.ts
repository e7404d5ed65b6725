import { randomBytes } from "node:crypto";
import type { LibraryPartitionStats, ShardNodeStatsRequest } from "@quiver/api";

/** How long the rows of a paged round are kept for its next pages. */
const KEEP_MS = 30_000;
/** Paged rounds kept at once (each coordinator pages its own). */
const MAX_KEPT = 8;

export interface NodeStatsPage {
  rows: LibraryPartitionStats[];
  next?: number;
  gathering?: string;
}

/**
 * A node's statistics in pages that read one gathering: a first page (or one whose gathering is
 * gone) gathers every partition's rows, sorted by partition then library; when a limit cuts them,
 * the rest is kept under an id for the round's next pages, which are then answered from memory
 * and agree with the first. A round of N pages costs one gathering, not N.
 */
export class NodeStatsPages {
  private readonly kept = new Map<string, { rows: LibraryPartitionStats[]; atMs: number }>();

  constructor(private readonly gather: () => Promise<LibraryPartitionStats[]>) {}

  async page(request: ShardNodeStatsRequest): Promise<NodeStatsPage> {
    this.expire();
    const offset = request.offset ?? 0;
    const kept = request.gathering ? this.kept.get(request.gathering) : undefined;
    const rows = kept?.rows ?? sorted(await this.gather());
    const end = request.limit === undefined ? rows.length : offset + request.limit;
    const page = rows.slice(offset, end);
    if (end >= rows.length) {
      if (request.gathering) this.kept.delete(request.gathering);
      return { rows: page };
    }
    const gathering = kept ? (request.gathering as string) : this.keep(rows);
    return { rows: page, next: end, gathering };
  }

  /** Gatherings kept now (for tests and figures). */
  get keptCount(): number {
    return this.kept.size;
  }

  private keep(rows: LibraryPartitionStats[]): string {
    const id = randomBytes(8).toString("hex");
    this.kept.set(id, { rows, atMs: Date.now() });
    // the oldest go first (a Map iterates in insertion order)
    for (const old of this.kept.keys()) {
      if (this.kept.size <= MAX_KEPT) break;
      this.kept.delete(old);
    }
    return id;
  }

  private expire(): void {
    const now = Date.now();
    for (const [id, { atMs }] of this.kept) if (now - atMs > KEEP_MS) this.kept.delete(id);
  }
}

function sorted(rows: LibraryPartitionStats[]): LibraryPartitionStats[] {
  return rows.sort(
    (a, b) =>
      a.partition - b.partition ||
      (a.libraryId < b.libraryId ? -1 : a.libraryId > b.libraryId ? 1 : 0),
  );
}
