import type { LibraryCreated, Metadata } from "@quiver/events";

/** A library as a partition knows it: its library.created event (config updated by later events). */
export type LibraryRecord = Omit<LibraryCreated, "type">;

/** An event that could not be applied, kept with its bytes and the reason. */
export interface DeadLetter {
  partition: number;
  seq: number;
  msgId: string;
  /** An error code: MALFORMED_EVENT, UNKNOWN_EVENT_TYPE, UNKNOWN_LIBRARY, INVALID_VECTOR... */
  code: string;
  reason: string;
  data: Uint8Array;
  atMs: number;
}

export interface SnapshotInfo {
  /** The partition's applied sequence when the snapshot was taken. */
  seq: number;
  bytes: number;
  chunks: number;
  atMs: number;
}

export interface StoredVector {
  internalId: number;
  vectorId: string;
  vector: Float32Array;
  metadata: Metadata | null;
}
