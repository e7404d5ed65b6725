import type { PartitionLibrary } from "@quiver/store";

/** What a rebuild thread is asked to build: the library under its new config and its vectors. */
export interface RebuildInput {
  record: PartitionLibrary;
  quantizer?: Uint8Array;
  ids: Int32Array;
  values: Float32Array;
  capacity: number;
}

/** To the rebuild thread: one build at a time. */
export interface RebuildJobMessage {
  type: "build";
  job: number;
  input: RebuildInput;
}

/** From the rebuild thread, about the job it runs. */
export type RebuildMessage =
  | { type: "progress"; job: number; done: number; total: number }
  | { type: "built"; job: number; snapshot: Uint8Array; quantizer: Uint8Array | undefined }
  | { type: "failed"; job: number; message: string };
