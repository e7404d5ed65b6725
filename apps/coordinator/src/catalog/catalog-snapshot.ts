import { randomBytes } from "node:crypto";
import { decode, encode } from "@msgpack/msgpack";
import { isLogError, type KvStore, LogErrorCode } from "@quiver/log";
import type { CatalogStateData } from "./catalog-state.js";

/** The KV key of the latest catalog snapshot's header; its parts are `catalog.snapshot.<id>.<n>`. */
export const SNAPSHOT_KEY = "catalog.snapshot";
/** A part's bytes: well under NATS's default 1 MiB message limit. */
const PART_BYTES = 256 * 1024;
const FORMAT_VERSION = 1;
/** Reads of a snapshot whose parts a newer one replaced meanwhile, before giving up. */
const LOAD_ATTEMPTS = 3;

interface SnapshotHeader {
  v: number;
  /** The catalog seq the snapshot holds the state at. */
  seq: number;
  id: string;
  parts: number;
  bytes: number;
  atMs: number;
}

export class SnapshotError extends Error {
  override readonly name = "SnapshotError";
}

export function encodeSnapshot(data: CatalogStateData): Uint8Array {
  return encode({ v: FORMAT_VERSION, ...data }, { ignoreUndefined: true });
}

export function decodeSnapshot(bytes: Uint8Array): CatalogStateData {
  const { v, ...data } = decode(bytes) as Record<string, unknown>;
  if (v !== FORMAT_VERSION)
    throw new SnapshotError(`catalog snapshot format ${String(v)} is not ${FORMAT_VERSION}`);
  const lists = ["libraries", "migrations", "active", "trainings", "configSetAt"];
  if (typeof data.seq !== "number" || lists.some((name) => !Array.isArray(data[name])))
    throw new SnapshotError("the catalog snapshot misses a field");
  return data as unknown as CatalogStateData;
}

/**
 * Catalog snapshots in the KV store: the encoded state in parts under a fresh id, then a header
 * at `catalog.snapshot` naming them, written only on the revision read before (of two
 * coordinators writing at once one wins, the other removes its parts), then the parts of the
 * snapshot it replaced are removed. A snapshot never replaces one of a later seq.
 */
export class CatalogSnapshotStore {
  constructor(private readonly kv: KvStore) {}

  /** The latest snapshot, undefined when there is none; a SnapshotError when it is unreadable. */
  async load(): Promise<CatalogStateData | undefined> {
    for (let attempt = 1; ; attempt++) {
      const entry = await this.kv.get(SNAPSHOT_KEY);
      if (!entry) return undefined;
      const header = decodeHeader(entry.value);
      const parts = await Promise.all(
        Array.from({ length: header.parts }, (_, i) => this.kv.get(partKey(header.id, i))),
      );
      if (parts.some((p) => p === undefined)) {
        if (attempt < LOAD_ATTEMPTS) continue; // replaced while read: read the new one
        throw new SnapshotError(`catalog snapshot ${header.id} misses parts`);
      }
      const bytes = Buffer.concat(parts.map((p) => p!.value));
      if (bytes.length !== header.bytes)
        throw new SnapshotError(
          `catalog snapshot ${header.id} has ${bytes.length} bytes, not ${header.bytes}`,
        );
      const data = decodeSnapshot(bytes);
      if (data.seq !== header.seq)
        throw new SnapshotError(
          `catalog snapshot ${header.id} holds seq ${data.seq}, not ${header.seq}`,
        );
      return data;
    }
  }

  /**
   * Stores `bytes` (encodeSnapshot of the state at `seq`) as the latest snapshot; false when the
   * latest is already at `seq` or later (unless `replace`: it is not this log's, or unreadable),
   * or another writer replaced it meanwhile.
   */
  async save(bytes: Uint8Array, seq: number, replace = false): Promise<boolean> {
    const current = await this.kv.get(SNAPSHOT_KEY);
    const replaced = current && !replace ? decodeHeader(current.value) : undefined;
    if (replaced && replaced.seq >= seq) return false;
    const id = randomBytes(6).toString("hex");
    const parts = Math.max(1, Math.ceil(bytes.length / PART_BYTES));
    for (let i = 0; i < parts; i++)
      await this.kv.put(partKey(id, i), bytes.subarray(i * PART_BYTES, (i + 1) * PART_BYTES));
    const header: SnapshotHeader = {
      v: FORMAT_VERSION,
      seq,
      id,
      parts,
      bytes: bytes.length,
      atMs: Date.now(),
    };
    try {
      await this.kv.put(SNAPSHOT_KEY, encode(header), {
        previousRevision: current?.revision ?? 0,
      });
    } catch (error) {
      await this.removeParts(id, parts);
      if (isLogError(error, LogErrorCode.KvConflict)) return false;
      throw error;
    }
    if (replaced) await this.removeParts(replaced.id, replaced.parts);
    return true;
  }

  private async removeParts(id: string, parts: number): Promise<void> {
    for (let i = 0; i < parts; i++) await this.kv.delete(partKey(id, i));
  }
}

function partKey(id: string, part: number): string {
  return `${SNAPSHOT_KEY}.${id}.${part}`;
}

function decodeHeader(bytes: Uint8Array): SnapshotHeader {
  let header: Partial<SnapshotHeader>;
  try {
    header = decode(bytes) as Partial<SnapshotHeader>;
  } catch (cause) {
    throw new SnapshotError("the catalog snapshot header is not msgpack", { cause });
  }
  if (header.v !== FORMAT_VERSION || typeof header.id !== "string")
    throw new SnapshotError(
      `catalog snapshot header format ${String(header.v)} is not ${FORMAT_VERSION}`,
    );
  return header as SnapshotHeader;
}
