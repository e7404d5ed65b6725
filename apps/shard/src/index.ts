export { LibraryIndex } from "./partition/library-index.js";
export type { IndexPhase } from "./partition/index-build.js";
export {
  type ApplierOptions,
  type ApplierStatus,
  PartitionApplier,
  PartitionHaltedError,
} from "./partition/partition-applier.js";
export { StoreOriginals } from "./partition/store-originals.js";
export { ShardNode, type ShardNodeOptions } from "./node/shard-node.js";
export { defaultWorkerCount } from "./node/partition-workers.js";
export { PartitionHost, type PartitionHostOptions } from "./worker/partition-host.js";
export { MembershipAgent, type MembershipAgentOptions } from "./node/membership-agent.js";
