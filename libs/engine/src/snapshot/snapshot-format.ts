import { EngineError, EngineErrorCode } from "../errors.js";

/**
 * Snapshot framing shared by every index: a 4-byte magic, a u32 format version, a JSON header
 * (parameters and the offset/length of each binary section), then the sections, 8-byte aligned.
 * Readers reject another magic and any version they do not know.
 */
export interface SnapshotSection {
  name: string;
  /**
   * The section's bytes, or a function that answers them afresh: a view of kernel memory, which
   * may grow (a new buffer) between two pieces of a snapshot written a piece at a time.
   */
  bytes: Uint8Array | (() => Uint8Array);
}

/** A contiguous part of a snapshot: its length, and its bytes (a view, asked afresh each time). */
export interface SnapshotPiece {
  readonly length: number;
  bytes(): Uint8Array;
}

interface SectionEntry {
  name: string;
  offset: number;
  length: number;
}

const PREFIX_BYTES = 12;

/**
 * A snapshot as pieces to write one after another (the framing, then each section and its
 * padding), without copying the sections: a large index is written piece by piece while its
 * thread keeps serving, instead of being copied whole first. The caller must not change the
 * index until the last piece is written.
 */
export function snapshotPieces(
  magic: string,
  version: number,
  header: Record<string, unknown>,
  sections: SnapshotSection[],
): SnapshotPiece[] {
  const views = sections.map(({ bytes }) => (typeof bytes === "function" ? bytes : () => bytes));
  const entries: SectionEntry[] = [];
  // Offsets are relative to the end of the header, so the header can be sized first.
  let cursor = 0;
  sections.forEach((s, i) => {
    entries.push({ name: s.name, offset: cursor, length: views[i]().byteLength });
    cursor = align8(cursor + entries[i].length);
  });
  const headerBytes = new TextEncoder().encode(JSON.stringify({ ...header, sections: entries }));
  const framing = new Uint8Array(align8(PREFIX_BYTES + headerBytes.byteLength));
  const view = new DataView(framing.buffer);
  for (let i = 0; i < 4; i++) framing[i] = magic.charCodeAt(i);
  view.setUint32(4, version, true);
  view.setUint32(8, headerBytes.byteLength, true);
  framing.set(headerBytes, PREFIX_BYTES);
  const pieces: SnapshotPiece[] = [fixed(framing)];
  entries.forEach((e, i) => {
    pieces.push({ length: e.length, bytes: views[i] });
    const padding = align8(e.length) - e.length;
    if (padding > 0) pieces.push(fixed(new Uint8Array(padding)));
  });
  return pieces;
}

/** The pieces in one buffer. */
export function joinPieces(pieces: SnapshotPiece[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p.bytes().subarray(0, p.length), at);
    at += p.length;
  }
  return out;
}

export function writeSnapshot(
  magic: string,
  version: number,
  header: Record<string, unknown>,
  sections: SnapshotSection[],
): Uint8Array {
  return joinPieces(snapshotPieces(magic, version, header, sections));
}

function fixed(bytes: Uint8Array): SnapshotPiece {
  return { length: bytes.byteLength, bytes: () => bytes };
}

export interface ReadSnapshot {
  version: number;
  header: Record<string, unknown>;
  /** The bytes of a section (a view into the snapshot), checked against `expectedBytes` if given. */
  section(name: string, expectedBytes?: number): Uint8Array;
}

export function readSnapshot(
  bytes: Uint8Array,
  magic: string,
  supportedVersions: number[],
): ReadSnapshot {
  const invalid = (why: string): EngineError =>
    new EngineError(EngineErrorCode.InvalidSnapshot, `not a valid ${magic} snapshot: ${why}`);
  if (bytes.byteLength < PREFIX_BYTES) throw invalid("too short");
  for (let i = 0; i < 4; i++) if (bytes[i] !== magic.charCodeAt(i)) throw invalid("wrong magic");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (!supportedVersions.includes(version)) {
    throw new EngineError(
      EngineErrorCode.UnsupportedSnapshotVersion,
      `${magic} snapshot version ${version} is not supported (supported: ${supportedVersions.join(", ")})`,
      { version, supported: supportedVersions },
    );
  }
  const headerLength = view.getUint32(8, true);
  if (PREFIX_BYTES + headerLength > bytes.byteLength) throw invalid("truncated header");
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(
      new TextDecoder().decode(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength)),
    );
  } catch (cause) {
    throw new EngineError(
      EngineErrorCode.InvalidSnapshot,
      `not a valid ${magic} snapshot: bad header`,
      {},
      { cause },
    );
  }
  const dataStart = align8(PREFIX_BYTES + headerLength);
  const entries = header.sections as SectionEntry[] | undefined;
  if (!Array.isArray(entries)) throw invalid("no section table");
  return {
    version,
    header,
    section(name: string, expectedBytes?: number): Uint8Array {
      const e = entries.find((x) => x.name === name);
      if (!e) throw invalid(`missing section "${name}"`);
      const start = dataStart + e.offset;
      if (start + e.length > bytes.byteLength) throw invalid(`section "${name}" is truncated`);
      if (expectedBytes !== undefined && e.length !== expectedBytes) {
        throw invalid(`section "${name}" has ${e.length} bytes, expected ${expectedBytes}`);
      }
      return bytes.subarray(start, start + e.length);
    },
  };
}

/** A copy of `bytes` viewed as a typed array (the copy makes it aligned). */
export function u32From(bytes: Uint8Array): Uint32Array {
  return new Uint32Array(bytes.slice().buffer);
}

export function i32From(bytes: Uint8Array): Int32Array {
  return new Int32Array(bytes.slice().buffer);
}

export function bytesOf(array: ArrayBufferView, length = array.byteLength): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, length);
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
