import { type Membership, owners, partitionsOwnedBy } from "@quiver/cluster";
import { type Logger, silentLogger } from "@quiver/telemetry";
import type { ShardNode } from "./shard-node.js";

export interface MembershipAgentOptions {
  /** Data partitions of the cluster (0..partitions-1). */
  partitions: number;
  /** Shard nodes that serve each partition. */
  replicas: number;
  heartbeatMs?: number;
}

/**
 * Keeps a shard node's assignment in step with the cluster: announces what the node serves (its
 * heartbeat), and when members come or go, hosts the partitions rendezvous hashing gives it. A
 * partition it loses is kept, and served, until its new owners serve it, so a move never leaves
 * a partition without a replica.
 */
export class MembershipAgent {
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly logger: Logger;
  private lastAssignment = "";
  private partitions: number;
  /** The latest assignment being applied. */
  private assigned: Promise<void> = Promise.resolve();

  constructor(
    private readonly node: ShardNode,
    private readonly membership: Membership,
    private readonly options: MembershipAgentOptions,
    logger?: Logger,
  ) {
    this.logger = (logger ?? silentLogger()).child({ shard: node.shardId });
    this.partitions = options.partitions;
  }

  /** Changes the partition count (e.g. once the catalog shows libraries with more). */
  setPartitions(partitions: number): void {
    this.partitions = partitions;
    this.reassign();
  }

  /** Resolves once the latest assignment is applied: its partitions serve. */
  async settled(): Promise<void> {
    let current;
    do {
      current = this.assigned;
      await current;
    } while (current !== this.assigned);
  }

  async start(): Promise<void> {
    await this.heartbeat();
    this.unsubscribe = this.membership.onChange(() => this.reassign());
    this.reassign();
    this.timer = setInterval(() => {
      void this.heartbeat().catch((error: unknown) =>
        this.logger.warn({ err: error }, "heartbeat failed"),
      );
      this.reassign();
    }, this.options.heartbeatMs ?? 1_000);
  }

  private async heartbeat(): Promise<void> {
    const states = this.node.states();
    await this.membership.announce({
      shardId: this.node.shardId,
      serving: states.filter((s) => s.state === "serving").map((s) => s.partition),
      catchingUp: states.filter((s) => s.state === "catching_up").map((s) => s.partition),
      atMs: Date.now(),
    });
  }

  /** Hosts the owned partitions, plus those lost but not yet served by their new owners. */
  private reassign(): void {
    const self = this.node.shardId;
    const records = new Map(this.membership.members().map((m) => [m.shardId, m]));
    const live = [...new Set([...records.keys(), self])];
    const { replicas } = this.options;
    const partitions = this.partitions;
    const wanted = new Set(partitionsOwnedBy(self, live, partitions, replicas));
    for (const p of this.node.partitions()) {
      if (wanted.has(p)) continue;
      const handedOver = owners(p, live, replicas).every(
        (o) => o === self || records.get(o)?.serving.includes(p),
      );
      if (!handedOver) wanted.add(p);
    }
    const assignment = [...wanted].sort((a, b) => a - b);
    const key = assignment.join(",");
    if (key === this.lastAssignment) return;
    this.lastAssignment = key;
    this.logger.info({ partitions: assignment, members: live }, "assignment changed");
    this.assigned = this.node.assign(assignment).then(
      () => this.heartbeat(),
      (error: unknown) => this.logger.error({ err: error }, "assignment failed"),
    );
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe?.();
    await this.membership.leave(this.node.shardId).catch(() => undefined);
  }
}
