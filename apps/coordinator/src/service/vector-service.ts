import { randomUUID } from "node:crypto";
import {
  ApiError,
  ApiErrorCode,
  type Consistency,
  type VectorResponse,
  type WriteResponse,
} from "@quiver/api";
import { encodeEvent, type LibraryRecord, partitionOf } from "@quiver/events";
import { partitionsOf } from "../catalog/catalog.js";
import type { ServiceContext } from "./context.js";
import { readSeqs, waitForShards } from "./consistency.js";
import type { IngestPool } from "./ingest/ingest-pool.js";
import { chunks, type PreparedEvent } from "./ingest/prepare-upsert.js";
import { encodeWriteToken } from "./write-token.js";

/** A vector id to delete, filed under its partition. */
interface PendingVector {
  id: string;
  bytes: number;
}

/**
 * Vector writes and reads. A write is grouped by partition (hash of the vector id), cut into
 * events that fit the log, appended with message ids derived from the Idempotency-Key when there
 * is one (a retried request is then deduplicated by the log), and acknowledged once every event
 * is durable.
 */
export class VectorService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly ingest: IngestPool,
  ) {}

  /**
   * Upserts the vectors of a request body (JSON bytes): prepared into events off this thread
   * (IngestPool), appended per partition in order, acknowledged once every event is durable.
   */
  async upsert(
    library: LibraryRecord,
    body: Uint8Array,
    idempotencyKey: string | undefined,
  ): Promise<WriteResponse> {
    const prepared = await this.ingest.prepareUpsert(
      body,
      {
        libraryId: library.libraryId,
        dimension: library.dimension,
        partitions: partitionsOf(library),
      },
      idempotencyKey,
    );
    const byPartition = new Map<number, PreparedEvent[]>();
    for (const e of prepared.events) {
      const list = byPartition.get(e.partition);
      if (list) list.push(e);
      else byPartition.set(e.partition, [e]);
    }
    const seqs: Record<number, number> = {};
    await Promise.all(
      [...byPartition].map(async ([p, events]) => {
        for (const e of events) seqs[p] = (await this.ctx.log.append(p, e.data, e.msgId)).seq;
      }),
    );
    return this.acknowledge(library, seqs, prepared.count, prepared.wait);
  }

  async delete(library: LibraryRecord, ids: string[], wait: boolean): Promise<WriteResponse> {
    const byPartition = new Map<number, PendingVector[]>();
    for (const id of new Set(ids)) {
      addTo(byPartition, library, { id, bytes: id.length + 8 });
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

  /** Appends each partition's items as events cut to fit the log (chunks), in order within one. */
  private async appendChunks(
    byPartition: Map<number, PendingVector[]>,
    encode: (partition: number, chunk: number, vectors: PendingVector[]) => Uint8Array,
    msgIdPrefix: string,
  ): Promise<Record<number, number>> {
    const seqs: Record<number, number> = {};
    await Promise.all(
      [...byPartition].map(async ([p, vectors]) => {
        let chunk = 0;
        for (const part of chunks(vectors)) {
          const { seq } = await this.ctx.log.append(
            p,
            encode(p, chunk, part),
            `${msgIdPrefix}:${p}:${chunk}`,
          );
          seqs[p] = seq;
          chunk++;
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
