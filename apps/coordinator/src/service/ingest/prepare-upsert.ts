import { createHash, randomUUID } from "node:crypto";
import {
  ApiError,
  ApiErrorCode,
  type ErrorBody,
  invalidField,
  schemaIssueError,
  type SchemaIssue,
  UpsertBody,
} from "@quiver/api";
import { encodeEvent, type Metadata, partitionOf } from "@quiver/events";
import { Ajv } from "ajv";

/**
 * An event stays well under NATS's default 1 MiB payload limit, and small enough that a shard
 * stores it in one short transaction (a search on that partition's thread waits for it): about
 * 80 vectors of 784-d.
 */
const MAX_EVENT_BYTES = 256 * 1024;
const MAX_VECTORS_PER_EVENT = 1000;

/** What an upsert needs to know of its library. */
export interface UpsertTarget {
  libraryId: string;
  dimension: number;
  partitions: number;
}

/** One event of an upsert, ready to append. */
export interface PreparedEvent {
  partition: number;
  data: Uint8Array;
  msgId: string;
}

export type PreparedUpsert =
  | { ok: true; events: PreparedEvent[]; count: number; wait: boolean }
  | { ok: false; error: ErrorBody["error"]; status: number };

interface PendingVector {
  id: string;
  vector: number[];
  metadata: Metadata | null;
  bytes: number;
}

// As the app checks bodies: validated as sent ("10" is not a number, an unknown field is an error).
const validate = new Ajv({
  coerceTypes: false,
  removeAdditional: false,
  useDefaults: false,
  strict: false,
}).compile(UpsertBody);

/**
 * An upsert request body (JSON bytes) turned into the events to append, or the 4xx error that
 * names the field: parse, schema, per-vector checks (dimension, finite float32, ids repeated,
 * metadata size), grouping by partition (hash of the vector id), events cut to fit the log, and
 * message ids derived from the Idempotency-Key when there is one (a retried request is then
 * deduplicated by the log). Pure work, run off the serving thread (ingest-pool.ts).
 */
export function prepareUpsert(
  body: Uint8Array,
  target: UpsertTarget,
  idempotencyKey: string | undefined,
): PreparedUpsert {
  try {
    return { ok: true, ...prepare(body, target, idempotencyKey) };
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return { ok: false, error: error.toBody().error, status: error.status };
  }
}

function prepare(
  body: Uint8Array,
  target: UpsertTarget,
  idempotencyKey: string | undefined,
): { events: PreparedEvent[]; count: number; wait: boolean } {
  const text = new TextDecoder().decode(body);
  let parsed: unknown;
  try {
    parsed = text.trim() === "" ? undefined : JSON.parse(text);
  } catch (error) {
    throw new ApiError(
      ApiErrorCode.MalformedJson,
      `body is not valid JSON: ${(error as Error).message}`,
      {
        field: "body",
      },
    );
  }
  if (!validate(parsed)) {
    const issue = validate.errors?.[0] as SchemaIssue | undefined;
    throw schemaIssueError(issue, "body", "body is invalid");
  }
  const request = parsed as UpsertBody;
  const dim = target.dimension;
  const byPartition = new Map<number, PendingVector[]>();
  const seen = new Set<string>();
  request.vectors.forEach((v, i) => {
    if (v.vector.length !== dim) {
      throw invalidField(
        `vectors[${i}].vector`,
        `has ${v.vector.length} values; library ${target.libraryId} has dimension ${dim}`,
        ApiErrorCode.DimensionMismatch,
      );
    }
    for (let j = 0; j < dim; j++) {
      const x = v.vector[j];
      if (!Number.isFinite(x) || Math.abs(x) > 3.4e38) {
        throw invalidField(
          `vectors[${i}].vector[${j}]`,
          "must be a finite float32",
          ApiErrorCode.InvalidVector,
        );
      }
    }
    if (seen.has(v.id)) {
      throw invalidField(
        `vectors[${i}].id`,
        `repeats id ${v.id} of an earlier vector in the request`,
      );
    }
    seen.add(v.id);
    const metadata = (v.metadata ?? null) as Metadata | null;
    const metaBytes = metadata ? JSON.stringify(metadata).length : 0;
    if (metaBytes > 64 * 1024) {
      throw invalidField(`vectors[${i}].metadata`, "is larger than 64 KiB as JSON");
    }
    const p = partitionOf(target.libraryId, v.id, target.partitions);
    let list = byPartition.get(p);
    if (!list) byPartition.set(p, (list = []));
    list.push({ id: v.id, vector: v.vector, metadata, bytes: dim * 4 + metaBytes + v.id.length });
  });
  // A retried request (same key, same vectors) is deduplicated by the log; the same key with
  // other vectors is a different write and is applied, never dropped.
  const requestId = idempotencyKey ? `key:${idempotencyKey}:${contentHash(request)}` : randomUUID();
  const prefix = `up:${target.libraryId}:${requestId}`;
  const events: PreparedEvent[] = [];
  for (const [partition, vectors] of byPartition) {
    let chunk = 0;
    for (const part of chunks(vectors)) {
      const data = encodeEvent({
        type: "vectors.upserted",
        libraryId: target.libraryId,
        ids: part.map((v) => v.id),
        dimension: dim,
        vectors: rowsOf(part, dim),
        metadata: part.map((v) => v.metadata),
      });
      // a buffer of its own: it is moved, not copied, to the serving thread
      const own = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
      events.push({
        partition,
        data: own ? data : data.slice(),
        msgId: `${prefix}:${partition}:${chunk++}`,
      });
    }
  }
  return { events, count: request.vectors.length, wait: request.wait ?? false };
}

/** A partition's vectors cut into events of at most MAX_EVENT_BYTES (and MAX_VECTORS_PER_EVENT). */
export function* chunks<T extends { bytes: number }>(items: T[]): Generator<T[]> {
  for (let start = 0; start < items.length;) {
    let end = start;
    let bytes = 0;
    while (
      end < items.length &&
      end - start < MAX_VECTORS_PER_EVENT &&
      (end === start || bytes + items[end].bytes <= MAX_EVENT_BYTES)
    ) {
      bytes += items[end].bytes;
      end++;
    }
    yield items.slice(start, end);
    start = end;
  }
}

/** The vectors of an event, row by row, in one buffer. */
function rowsOf(vectors: PendingVector[], dim: number): Float32Array {
  const out = new Float32Array(vectors.length * dim);
  vectors.forEach((v, i) => out.set(v.vector, i * dim));
  return out;
}

/** A digest of an upsert's content: ids, vectors and metadata. */
function contentHash(body: UpsertBody): string {
  const hash = createHash("sha256");
  for (const v of body.vectors) {
    hash.update(v.id);
    hash.update("\u0000");
    const values = Float64Array.from(v.vector);
    hash.update(new Uint8Array(values.buffer));
    hash.update(v.metadata === undefined ? "" : JSON.stringify(v.metadata));
    hash.update("\u0001");
  }
  return hash.digest("base64url").slice(0, 22);
}
