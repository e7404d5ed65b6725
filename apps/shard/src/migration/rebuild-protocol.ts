import type { PartitionLibrary } from "@quiver/store";

/** What a rebuild worker receives: the library under its new config and all its vectors. */
export interface RebuildInput {
  record: PartitionLibrary;
  quantizer?: Uint8Array;
  ids: Int32Array;
  values: Float32Array;
  capacity: number;
}

export type RebuildMessage =
  | { type: "progress"; done: number; total: number }
  | { type: "built"; snapshot: Uint8Array; quantizer: Uint8Array | undefined };
