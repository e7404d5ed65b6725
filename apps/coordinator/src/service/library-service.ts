import { randomBytes } from "node:crypto";
import {
  ApiError,
  ApiErrorCode,
  type CreateLibraryBody,
  invalidField,
  type LibraryResponse,
  resolveHnsw,
  resolveQuantization,
  summarizeQuantization,
} from "@quiver/api";
import {
  CATALOG_PARTITION,
  encodeEvent,
  type LibraryCreated,
  type LibraryRecord,
} from "@quiver/events";
import { partitionsOf } from "../catalog/catalog.js";
import type { ServiceContext } from "./context.js";
import { gatherLibraryStats } from "./statistics-service.js";

/** How long a coordinator waits for its catalog view to show its own change. */
const CATALOG_WAIT_MS = 10_000;

export function libraryResponse(record: LibraryRecord, numVectors?: number): LibraryResponse {
  return {
    id: record.libraryId,
    name: record.name,
    dimension: record.dimension,
    metric: record.metric,
    index_type: record.indexType,
    hnsw_config: record.hnsw,
    quantization_config: record.quantization as unknown as Record<string, unknown>,
    partitions: partitionsOf(record),
    created_at: new Date(record.createdAtMs).toISOString(),
    quantization: summarizeQuantization(record.quantization, record.dimension, record.indexType),
    ...(numVectors === undefined ? {} : { num_vectors: numVectors }),
  };
}

/**
 * Libraries: create appends library.created to each of the library's data partitions and then to
 * the catalog (the library exists once the catalog has it); delete appends library.deleted to the
 * catalog first (it is gone for the API), then to the partitions (the shards drop its data).
 */
export class LibraryService {
  constructor(private readonly ctx: ServiceContext) {}

  async create(tenantId: string, body: CreateLibraryBody): Promise<LibraryResponse> {
    const quantization = resolveQuantization(body.quantization_config, body.dimension);
    const hnsw = resolveHnsw(body.hnsw_config);
    const partitions = body.partitions ?? this.ctx.defaultPartitions;
    if (partitions > this.ctx.maxPartitions) {
      throw invalidField(
        "partitions",
        `must be at most ${this.ctx.maxPartitions}, the partitions this deployment has`,
      );
    }
    if (this.ctx.catalog.byName(tenantId, body.name)) {
      throw new ApiError(ApiErrorCode.LibraryExists, `a library named ${body.name} exists`, {
        field: "name",
      });
    }
    const event: LibraryCreated = {
      type: "library.created",
      libraryId: `lib_${randomBytes(8).toString("hex")}`,
      tenantId,
      name: body.name,
      dimension: body.dimension,
      metric: body.metric ?? "l2",
      indexType: body.index_type ?? "hnsw",
      hnsw,
      quantization,
      partitions,
      createdAtMs: Date.now(),
    };
    const data = encodeEvent(event);
    await Promise.all(
      Array.from({ length: partitions }, (_, p) =>
        this.ctx.log.append(p, data, `create:${event.libraryId}:${p}`),
      ),
    );
    const { seq } = await this.ctx.log.append(CATALOG_PARTITION, data, `create:${event.libraryId}`);
    await this.ctx.catalog.waitFor(seq, CATALOG_WAIT_MS);
    const { type: _type, ...record } = event;
    return libraryResponse(record);
  }

  list(tenantId: string): LibraryResponse[] {
    return this.ctx.catalog.list(tenantId).map((r) => libraryResponse(r));
  }

  /** The library of `tenantId` with this id, or LIBRARY_NOT_FOUND. */
  find(tenantId: string, libraryId: string): LibraryRecord {
    const record = this.ctx.catalog.get(libraryId);
    if (!record || record.tenantId !== tenantId) {
      throw new ApiError(ApiErrorCode.LibraryNotFound, `library ${libraryId} does not exist`, {
        field: "id",
        library_id: libraryId,
      });
    }
    return record;
  }

  async get(tenantId: string, libraryId: string): Promise<LibraryResponse> {
    const record = this.find(tenantId, libraryId);
    return libraryResponse(record, await this.countVectors(record));
  }

  async delete(tenantId: string, libraryId: string): Promise<{ id: string; deleted: boolean }> {
    const partitions = partitionsOf(this.find(tenantId, libraryId));
    const data = encodeEvent({ type: "library.deleted", libraryId });
    const { seq } = await this.ctx.log.append(CATALOG_PARTITION, data, `delete:${libraryId}`);
    await this.ctx.catalog.waitFor(seq, CATALOG_WAIT_MS);
    await this.ctx.catalog.facts
      .forgetLibrary(libraryId)
      .catch((error: unknown) =>
        this.ctx.logger.warn({ err: error, library: libraryId }, "the library's facts stay in KV"),
      );
    await Promise.all(
      Array.from({ length: partitions }, (_, p) =>
        this.ctx.log.append(p, data, `delete:${libraryId}:${p}`),
      ),
    );
    return { id: libraryId, deleted: true };
  }

  /** Vectors the shards have applied, summed over one replica of each partition. */
  private async countVectors(record: LibraryRecord): Promise<number | undefined> {
    const { vectorsByPartition } = await gatherLibraryStats(this.ctx, record);
    if (vectorsByPartition.size < partitionsOf(record)) return undefined;
    return [...vectorsByPartition.values()].reduce((a, b) => a + b, 0);
  }
}
