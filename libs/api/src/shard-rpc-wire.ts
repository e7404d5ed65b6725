import { decode, encode } from "@msgpack/msgpack";
import type {
  ShardBenchmarkRequest,
  ShardBenchmarkResponse,
  ShardGetRequest,
  ShardLibraryStats,
  ShardNodeStats,
  ShardNodeStatsRequest,
  ShardGetResponse,
  ShardSampleRequest,
  ShardSampleResponse,
  ShardSearchRequest,
  ShardSearchResponse,
  ShardStatus,
  ShardTrainRequest,
  ShardTrainResponse,
} from "./shard-rpc.js";

/** The NATS subject a shard node answers coordinators on. */
export function shardRpcSubject(shardId: string): string {
  return `quiver.shard.${shardId}.rpc`;
}

/** Requests as they travel: msgpack, float32 arrays as their bytes. */
export type ShardRpcRequest =
  | { op: "search"; request: ShardSearchRequest }
  | { op: "get"; request: ShardGetRequest }
  | { op: "waitApplied"; minSeqs: Record<number, number>; timeoutMs: number }
  | { op: "status" }
  | { op: "libraryStats"; libraryId: string; partitions: number[] }
  | { op: "sample"; request: ShardSampleRequest }
  | { op: "train"; request: ShardTrainRequest }
  | { op: "benchmark"; request: ShardBenchmarkRequest }
  | { op: "nodeStats"; request: ShardNodeStatsRequest };

export type ShardRpcReply =
  | { ok: true; search: ShardSearchResponse }
  | { ok: true; get: ShardGetResponse }
  | { ok: true; applied: Record<number, number> }
  | { ok: true; status: ShardStatus }
  | { ok: true; libraryStats: ShardLibraryStats }
  | { ok: true; sample: ShardSampleResponse }
  | { ok: true; train: ShardTrainResponse }
  | { ok: true; benchmark: ShardBenchmarkResponse }
  | { ok: true; nodeStats: ShardNodeStats }
  | { ok: false; message: string };

const F32 = "__f32";

function toWire(value: unknown): unknown {
  if (value instanceof Float32Array) {
    return { [F32]: new Uint8Array(value.buffer, value.byteOffset, value.byteLength) };
  }
  if (Array.isArray(value)) return value.map(toWire);
  if (value && typeof value === "object" && !(value instanceof Uint8Array)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toWire(v);
    return out;
  }
  return value;
}

function fromWire(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromWire);
  if (value && typeof value === "object" && !(value instanceof Uint8Array)) {
    const record = value as Record<string, unknown>;
    const bytes = record[F32];
    if (bytes instanceof Uint8Array) {
      const out = new Float32Array(bytes.byteLength / 4);
      new Uint8Array(out.buffer).set(bytes);
      return out;
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) out[k] = fromWire(v);
    return out;
  }
  return value;
}

export function encodeShardRpc(message: ShardRpcRequest | ShardRpcReply): Uint8Array {
  return encode(toWire(message));
}

export function decodeShardRpc<T extends ShardRpcRequest | ShardRpcReply>(data: Uint8Array): T {
  return fromWire(decode(data)) as T;
}
