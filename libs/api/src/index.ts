export { apportion } from "./apportion.js";
export {
  API_ERROR_STATUS,
  ApiError,
  ApiErrorCode,
  type ErrorBody,
  invalidField,
  isApiError,
} from "./errors.js";
export {
  compileFilter,
  type MetadataObject,
  type MetadataPredicate,
} from "./filter/compile-filter.js";
export { resolveHnsw, resolveQuantization, STRATEGIES } from "./library-config.js";
export { type QuantizationSummary, summarizeQuantization } from "./quantization-summary.js";
export * from "./schemas/benchmark.js";
export * from "./schemas/common.js";
export * from "./schemas/libraries.js";
export * from "./schemas/migrations.js";
export * from "./schemas/recall-probe.js";
export * from "./schemas/search.js";
export * from "./schemas/vectors.js";
export type * from "./shard-rpc.js";
export { QuiverClient, type QuiverClientOptions } from "./client.js";
export {
  decodeShardRpc,
  encodeShardRpc,
  type ShardRpcReply,
  type ShardRpcRequest,
  shardRpcSubject,
} from "./shard-rpc-wire.js";
export { type SchemaIssue, schemaIssueError } from "./schema-error.js";
