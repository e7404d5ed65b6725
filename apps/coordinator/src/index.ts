export { buildApp } from "./app.js";
export { Catalog, partitionsOf } from "./catalog/catalog.js";
export type { PartitionRouter } from "./cluster/partition-router.js";
export { type Coordinator, type CoordinatorOptions, startCoordinator } from "./coordinator.js";
export { sampleLibraryVectors } from "./service/sample-vectors.js";
export { mergeTopK } from "./service/search-service.js";
export { decodeWriteToken, encodeWriteToken, mergeWriteTokens } from "./service/write-token.js";
export { MembershipRouter } from "./cluster/membership-router.js";
