import type { ShardClient } from "@quiver/api";

/**
 * Where a partition is served: MembershipRouter, over the members' records (NATS KV in a
 * cluster, in process in embedded mode).
 */
export interface PartitionRouter {
  /** Shards serving `partition`, the preferred first; empty when it has no live replica. */
  replicas(partition: number): ShardClient[];
  /** Every shard node known now (the fan-outs that ask each node once). */
  shards(): ShardClient[];
  /** Whether the router can route (e.g. it has read the assignment). */
  ready(): boolean;
}
