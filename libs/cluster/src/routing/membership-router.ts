import type { ShardClient } from "@quiver/api";
import type { Membership } from "../membership.js";
import { owners } from "../rendezvous.js";
import type { PartitionRouter } from "./partition-router.js";

/**
 * Routes from the cluster's membership: a partition's replicas are the live shard nodes that
 * announce it as serving, in the order of its rendezvous ranking (its primary owner first).
 */
export class MembershipRouter implements PartitionRouter {
  private readonly clients = new Map<string, ShardClient>();

  constructor(
    private readonly membership: Membership,
    private readonly clientFor: (shardId: string) => ShardClient,
  ) {}

  replicas(partition: number): ShardClient[] {
    const members = this.membership.members();
    const serving = members.filter((m) => m.serving.includes(partition)).map((m) => m.shardId);
    const ranked = owners(
      partition,
      members.map((m) => m.shardId),
      members.length,
    );
    return ranked.filter((id) => serving.includes(id)).map((id) => this.client(id));
  }

  shards(): ShardClient[] {
    return this.membership
      .members()
      .map((m) => m.shardId)
      .sort()
      .map((id) => this.client(id));
  }

  ready(): boolean {
    return this.membership.members().length > 0;
  }

  private client(shardId: string): ShardClient {
    let client = this.clients.get(shardId);
    if (!client) this.clients.set(shardId, (client = this.clientFor(shardId)));
    return client;
  }
}
