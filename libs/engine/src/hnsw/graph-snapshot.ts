import { EngineError, EngineErrorCode } from "../errors.js";
import {
  bytesOf,
  i32From,
  type ReadSnapshot,
  type SnapshotSection,
  u32From,
} from "../snapshot/snapshot-format.js";
import type { HnswGraph } from "./hnsw-graph.js";

/** The scalar state of a graph, stored in the snapshot header. */
export interface GraphHeader {
  entry: number;
  maxLevel: number;
  idBound: number;
  nodeCount: number;
  deletedCount: number;
  upperUsed: number;
}

export function graphHeader(g: HnswGraph): GraphHeader {
  const { entry, maxLevel, idBound, nodeCount, deletedCount, upperUsed } = g;
  return { entry, maxLevel, idBound, nodeCount, deletedCount, upperUsed };
}

/** The graph's arrays for ids < idBound (views; the snapshot writer copies them). */
export function graphSections(g: HnswGraph): SnapshotSection[] {
  const n = g.idBound;
  return [
    { name: "links0", bytes: bytesOf(g.links0, n * g.stride0 * 4) },
    { name: "upper", bytes: bytesOf(g.upper, g.upperUsed * 4) },
    { name: "upperOffset", bytes: bytesOf(g.upperOffset, n * 4) },
    { name: "levels", bytes: bytesOf(g.levels, n) },
    { name: "flags", bytes: bytesOf(g.flags, n) },
  ];
}

/**
 * Loads a graph (already reserved for idBound ids) from a snapshot and checks that every link
 * points to a node of the graph: a corrupt snapshot is rejected, it never crashes a search.
 */
export function restoreGraph(g: HnswGraph, h: GraphHeader, snap: ReadSnapshot): void {
  const n = h.idBound;
  g.links0.set(u32From(snap.section("links0", n * g.stride0 * 4)));
  g.upper = u32From(snap.section("upper", h.upperUsed * 4));
  g.upperUsed = h.upperUsed;
  g.upperOffset.set(i32From(snap.section("upperOffset", n * 4)));
  g.levels.set(snap.section("levels", n));
  g.flags.set(snap.section("flags", n));
  g.entry = h.entry;
  g.maxLevel = h.maxLevel;
  g.idBound = n;
  g.nodeCount = h.nodeCount;
  g.deletedCount = h.deletedCount;
  checkLinks(g);
}

function checkLinks(g: HnswGraph): void {
  const bad = (why: string): EngineError =>
    new EngineError(EngineErrorCode.InvalidSnapshot, `snapshot graph is inconsistent: ${why}`);
  if (g.nodeCount > 0 && (g.entry < 0 || g.entry >= g.idBound || !g.has(g.entry)))
    throw bad("entry point");
  for (let id = 0; id < g.idBound; id++) {
    if (!g.has(id)) continue;
    for (let l = 0; l <= g.levels[id]; l++) {
      if (l > 0 && (g.upperOffset[id] < 0 || g.upperOffset[id] + l * g.strideUpper > g.upperUsed)) {
        throw bad(`upper links of ${id}`);
      }
      const links = g.linkArray(l);
      const at = g.linkOffset(id, l);
      const count = links[at];
      if (count > g.maxLinks(l)) throw bad(`link count of ${id}`);
      for (let j = 1; j <= count; j++)
        if (!g.has(links[at + j])) throw bad(`link ${id} -> ${links[at + j]}`);
    }
  }
}
