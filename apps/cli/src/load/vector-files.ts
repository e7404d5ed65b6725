import { closeSync, openSync, readSync, statSync } from "node:fs";
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";

/** One vector to load. */
export interface LoadRow {
  id: string;
  vector: Float32Array | number[];
  metadata?: Record<string, unknown> | null;
}

/** A file of vectors read in batches from a row on (for resuming). */
export interface VectorFile {
  /** Rows in the file (undefined when only a full read can tell: JSON lines). */
  rows: number | undefined;
  dimension: number | undefined;
  batches(fromRow: number, batchSize: number): AsyncIterable<LoadRow[]>;
}

export function openVectorFile(path: string): Promise<VectorFile> | VectorFile {
  if (path.endsWith(".fvecs")) return fvecs(path);
  if (path.endsWith(".npy")) return npy(path);
  if (path.endsWith(".jsonl") || path.endsWith(".ndjson") || path.endsWith(".json"))
    return jsonLines(path);
  throw new Error(`${path}: unknown format (use .fvecs, .npy or .jsonl)`);
}

function readAt(fd: number, offset: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buffer, got, length - got, offset + got);
    if (n === 0) throw new Error(`unexpected end of file at byte ${offset + got}`);
    got += n;
  }
  return buffer;
}

function toFloats(bytes: Buffer): Float32Array {
  const out = new Float32Array(bytes.length / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/** Fixed-size float32 rows at `offset`, ids = row numbers. */
function fixedRows(
  path: string,
  offset: number,
  rows: number,
  dim: number,
  prefixBytes: number,
): VectorFile {
  const rowBytes = prefixBytes + dim * 4;
  return {
    rows,
    dimension: dim,
    async *batches(fromRow, batchSize) {
      const fd = openSync(path, "r");
      try {
        for (let start = fromRow; start < rows; start += batchSize) {
          const n = Math.min(batchSize, rows - start);
          const bytes = readAt(fd, offset + start * rowBytes, n * rowBytes);
          const batch: LoadRow[] = [];
          for (let i = 0; i < n; i++) {
            const row = bytes.subarray(i * rowBytes + prefixBytes, (i + 1) * rowBytes);
            batch.push({ id: String(start + i), vector: toFloats(row) });
          }
          yield batch;
        }
      } finally {
        closeSync(fd);
      }
    },
  };
}

/** .fvecs (the ANN benchmark format): per row, int32 dimension then the floats. */
function fvecs(path: string): VectorFile {
  const size = statSync(path).size;
  const fd = openSync(path, "r");
  const dim = readAt(fd, 0, 4).readInt32LE(0);
  closeSync(fd);
  if (dim <= 0 || size % (4 + dim * 4) !== 0) throw new Error(`${path}: not an .fvecs file`);
  return fixedRows(path, 0, size / (4 + dim * 4), dim, 4);
}

/** .npy: a 2-D little-endian float32 array in C order (numpy.save of float32 rows). */
function npy(path: string): VectorFile {
  const fd = openSync(path, "r");
  const head = readAt(fd, 0, 10);
  if (head.subarray(0, 6).toString("latin1") !== "\x93NUMPY")
    throw new Error(`${path}: not an .npy file`);
  const major = head[6];
  const headerLength = major === 1 ? head.readUInt16LE(8) : readAt(fd, 8, 4).readUInt32LE(0);
  const headerStart = major === 1 ? 10 : 12;
  const header = readAt(fd, headerStart, headerLength).toString("latin1");
  closeSync(fd);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shape = /'shape':\s*\((\d+),\s*(\d+)\)/.exec(header);
  if (descr !== "<f4" || fortran !== "False" || !shape) {
    throw new Error(`${path}: need a 2-D float32 ('<f4') array in C order, got ${header.trim()}`);
  }
  return fixedRows(path, headerStart + headerLength, Number(shape[1]), Number(shape[2]), 0);
}

/** JSON lines: {"id"?, "vector": [...], "metadata"?} per line; id defaults to the line number. */
function jsonLines(path: string): VectorFile {
  return {
    rows: undefined,
    dimension: undefined,
    async *batches(fromRow, batchSize) {
      const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
      let row = 0;
      let batch: LoadRow[] = [];
      for await (const line of lines) {
        if (line.trim() === "") continue;
        const index = row++;
        if (index < fromRow) continue;
        let parsed: { id?: unknown; vector?: unknown; metadata?: unknown };
        try {
          parsed = JSON.parse(line);
        } catch {
          throw new Error(`${path}: line ${index + 1} is not JSON`);
        }
        if (!Array.isArray(parsed.vector))
          throw new Error(`${path}: line ${index + 1} has no "vector" array`);
        batch.push({
          id: parsed.id === undefined ? String(index) : String(parsed.id),
          vector: parsed.vector as number[],
          metadata: (parsed.metadata as Record<string, unknown> | undefined) ?? null,
        });
        if (batch.length === batchSize) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
    },
  };
}
