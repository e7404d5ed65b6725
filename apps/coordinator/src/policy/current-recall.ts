import { effectiveQuantization, type LibraryRecord } from "@quiver/events";
import type { Catalog } from "../catalog/catalog.js";
import { strategyName } from "./strategy-name.js";

/**
 * The latest recall@10 the probe measured for what the library's index runs now (a measurement
 * taken under another strategy says nothing of this one).
 */
export function currentRecall(catalog: Catalog, library: LibraryRecord): number | undefined {
  const measured = catalog.recall(library.libraryId);
  if (!measured) return undefined;
  const now = strategyName(effectiveQuantization(library.quantization));
  return measured.strategy === now ? measured.recallAt10 : undefined;
}
