import type { ShardClient } from "@quiver/api";

/**
 * Where a partition is served. Embedded mode: one in-process shard serves every partition;
 * cluster mode: the assignment in NATS KV, with a client per shard node.
 */
export interface PartitionRouter {
  /** Shards serving `partition`, the preferred first; empty when it has no live replica. */
  replicas(partition: number): ShardClient[];
  /** Whether the router can route (e.g. it has read the assignment). */
  ready(): boolean;
}

/** Every partition served by the same shard(s): embedded mode. */
export class StaticRouter implements PartitionRouter {
  constructor(private readonly shards: ShardClient[]) {}

  replicas(): ShardClient[] {
    return this.shards;
  }

  ready(): boolean {
    return true;
  }
}
