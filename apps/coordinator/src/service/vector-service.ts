import { createHash, randomUUID } from "node:crypto";
import {
  ApiError,
  ApiErrorCode,
  type Consistency,
  invalidField,
  type UpsertBody,
  type VectorResponse,
  type WriteResponse,
} from "@quiver/api";
import { encodeEvent, type LibraryRecord, type Metadata, partitionOf } from "@quiver/events";
import { partitionsOf } from "../catalog/catalog.js";
import type { ServiceContext } from "./context.js";
import { readSeqs, waitForShards } from "./consistency.js";
import { encodeWriteToken } from "./write-token.js";

/** An event stays well under NATS's default 1 MiB payload limit. */
const MAX_EVENT_BYTES = 768 * 1024;
const MAX_VECTORS_PER_EVENT = 1000;

interface PendingVector {
  id: string;
  vector: number[];
  metadata: Metadata | null;
  bytes: number;
}

/**
 * Vector writes and reads. A write is grouped by partition (hash of the vector id), cut into
 * events that fit the log, appended with message ids derived from the Idempotency-Key when there
 * is one (a retried request is then deduplicated by the log), and acknowledged once every event
 * is durable.
 */
export class VectorService {
  constructor(private readonly ctx: ServiceContext) {}

  async upsert(
    library: LibraryRecord,
    body: UpsertBody,
    idempotencyKey: string | undefined,
  ): Promise<WriteResponse> {
    const dim = library.dimension;
    const byPartition = new Map<number, PendingVector[]>();
    const seen = new Set<string>();
    body.vectors.forEach((v, i) => {
      if (v.vector.length !== dim) {
        throw invalidField(
          `vectors[${i}].vector`,
          `has ${v.vector.length} values; library ${library.libraryId} has dimension ${dim}`,
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
      const metadata = v.metadata ?? null;
      const metaBytes = metadata ? JSON.stringify(metadata).length : 0;
      if (metaBytes > 64 * 1024) {
        throw invalidField(`vectors[${i}].metadata`, "is larger than 64 KiB as JSON");
      }
      addTo(byPartition, library, {
        id: v.id,
        vector: v.vector,
        metadata,
        bytes: dim * 4 + metaBytes + v.id.length,
      });
    });
    // A retried request (same key, same vectors) is deduplicated by the log; the same key with
    // other vectors is a different write and is applied, never dropped.
    const requestId = idempotencyKey ? `key:${idempotencyKey}:${contentHash(body)}` : randomUUID();
    const seqs = await this.appendChunks(
      byPartition,
      (p, chunk, vectors) =>
        encodeEvent({
          type: "vectors.upserted",
          libraryId: library.libraryId,
          ids: vectors.map((v) => v.id),
          dimension: dim,
          vectors: rowsOf(vectors, dim),
          metadata: vectors.map((v) => v.metadata),
        }),
      `up:${library.libraryId}:${requestId}`,
    );
    return this.acknowledge(library, seqs, body.vectors.length, body.wait ?? false);
  }

  async delete(library: LibraryRecord, ids: string[], wait: boolean): Promise<WriteResponse> {
    const byPartition = new Map<number, PendingVector[]>();
    for (const id of new Set(ids)) {
      addTo(byPartition, library, { id, vector: [], metadata: null, bytes: id.length + 8 });
    }
    const seqs = await this.appendChunks(
      byPartition,
      (_p, _chunk, vectors) =>
        encodeEvent({
          type: "vectors.deleted",
          libraryId: library.libraryId,
          ids: vectors.map((v) => v.id),
        }),
      `del:${library.libraryId}:${randomUUID()}`,
    );
    return this.acknowledge(library, seqs, ids.length, wait);
  }

  async get(
    library: LibraryRecord,
    vectorId: string,
    consistency: Consistency,
    writeToken: string | undefined,
  ): Promise<VectorResponse> {
    const partition = partitionOf(library.libraryId, vectorId, partitionsOf(library));
    const minSeqs = await readSeqs(this.ctx, library, consistency, writeToken, [partition]);
    const replicas = this.ctx.router.replicas(partition);
    if (replicas.length === 0) {
      throw new ApiError(
        ApiErrorCode.PartitionUnavailable,
        `partition ${partition} has no live replica`,
        {
          partitions: [partition],
        },
      );
    }
    let lastError = "";
    for (const shard of replicas) {
      const answer = await shard
        .get({
          libraryId: library.libraryId,
          partition,
          ids: [vectorId],
          minSeq: minSeqs[partition],
          timeoutMs: this.ctx.searchTimeoutMs,
        })
        .catch((error: Error) => ({
          error: { code: "INTERNAL", message: error.message },
          vectors: undefined,
        }));
      if (answer.vectors) {
        const found = answer.vectors[0];
        if (!found) {
          throw new ApiError(
            ApiErrorCode.VectorNotFound,
            `vector ${vectorId} does not exist in library ${library.libraryId}`,
            {
              field: "vid",
              vector_id: vectorId,
            },
          );
        }
        return { id: found.id, vector: Array.from(found.vector), metadata: found.metadata };
      }
      if (answer.error?.code === "TIMEOUT") {
        throw new ApiError(ApiErrorCode.Timeout, answer.error.message, { partitions: [partition] });
      }
      lastError = answer.error?.message ?? "no answer";
    }
    throw new ApiError(ApiErrorCode.PartitionUnavailable, `partition ${partition}: ${lastError}`, {
      partitions: [partition],
    });
  }

  /**
   * Appends each partition's vectors as events of at most MAX_EVENT_BYTES, in parallel across
   * partitions and in order within one; answers the last sequence per partition.
   */
  private async appendChunks(
    byPartition: Map<number, PendingVector[]>,
    encode: (partition: number, chunk: number, vectors: PendingVector[]) => Uint8Array,
    msgIdPrefix: string,
  ): Promise<Record<number, number>> {
    const seqs: Record<number, number> = {};
    await Promise.all(
      [...byPartition].map(async ([p, vectors]) => {
        let chunk = 0;
        for (let start = 0; start < vectors.length;) {
          let end = start;
          let bytes = 0;
          while (
            end < vectors.length &&
            end - start < MAX_VECTORS_PER_EVENT &&
            (end === start || bytes + vectors[end].bytes <= MAX_EVENT_BYTES)
          ) {
            bytes += vectors[end].bytes;
            end++;
          }
          const { seq } = await this.ctx.log.append(
            p,
            encode(p, chunk, vectors.slice(start, end)),
            `${msgIdPrefix}:${p}:${chunk}`,
          );
          seqs[p] = seq;
          chunk++;
          start = end;
        }
      }),
    );
    return seqs;
  }

  private async acknowledge(
    library: LibraryRecord,
    seqs: Record<number, number>,
    count: number,
    wait: boolean,
  ): Promise<WriteResponse> {
    const writeToken = encodeWriteToken({ libraryId: library.libraryId, seqs });
    if (!wait) return { status: "acknowledged", count, write_token: writeToken };
    await waitForShards(this.ctx, seqs, this.ctx.waitTimeoutMs, writeToken);
    return { status: "applied", count, write_token: writeToken };
  }
}

/** The vectors of an event, row by row, in one buffer. */
function rowsOf(vectors: PendingVector[], dim: number): Float32Array {
  const out = new Float32Array(vectors.length * dim);
  vectors.forEach((v, i) => out.set(v.vector, i * dim));
  return out;
}

/** Files a vector under its partition. */
function addTo(
  byPartition: Map<number, PendingVector[]>,
  library: LibraryRecord,
  vector: PendingVector,
): void {
  const p = partitionOf(library.libraryId, vector.id, partitionsOf(library));
  let list = byPartition.get(p);
  if (!list) byPartition.set(p, (list = []));
  list.push(vector);
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
