// Watches a cluster's membership the way its coordinator does (the shards' heartbeat records in
// the members KV bucket, judged alive by their age) and counts what would move partitions: a
// shard that was alive when the watch began and is not at some check, or whose serving
// partitions changed. Checked every `everyMs` and on every record change.
import { KvMembership, type MemberRecord } from "@quiver/cluster";
import { connect } from "@nats-io/transport-node";

export interface MembershipReport {
  shards: number;
  /** Checks at which a shard alive at the start was not alive. */
  losses: number;
  /** Checks at which a shard's serving partitions differed from those at the start. */
  moves: number;
  checks: number;
  /** The oldest heartbeat record seen at a check, ms (its age when looked at). */
  max_heartbeat_age_ms: number;
}

const servingKey = (r: MemberRecord) => r.serving.join(",");

export class MembershipWatch {
  private readonly initial = new Map<string, string>();
  private losses = 0;
  private moves = 0;
  private checks = 0;
  private maxAgeMs = 0;
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly nc: Awaited<ReturnType<typeof connect>>,
    private readonly membership: KvMembership,
  ) {}

  /** Starts once `shards` shards are alive (within 10 s). */
  static async start(natsUrl: string, shards: number, everyMs = 100): Promise<MembershipWatch> {
    const nc = await connect({ servers: natsUrl });
    const membership = await KvMembership.open(nc);
    const watch = new MembershipWatch(nc, membership);
    const deadline = Date.now() + 10_000;
    while (membership.members().length < shards) {
      if (Date.now() > deadline) {
        await watch.stop();
        throw new Error(`only ${membership.members().length} of ${shards} shards alive`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const r of membership.members()) watch.initial.set(r.shardId, servingKey(r));
    membership.onChange(() => watch.check());
    watch.timer = setInterval(() => watch.check(), everyMs);
    return watch;
  }

  private check(): void {
    this.checks++;
    const now = Date.now();
    const alive = new Map(this.membership.members().map((r) => [r.shardId, r]));
    for (const [shardId, serving] of this.initial) {
      const record = alive.get(shardId);
      if (record === undefined) {
        this.losses++;
        continue;
      }
      if (servingKey(record) !== serving) this.moves++;
      this.maxAgeMs = Math.max(this.maxAgeMs, now - record.atMs);
    }
  }

  async stop(): Promise<MembershipReport> {
    clearInterval(this.timer);
    this.check();
    await this.membership.close();
    await this.nc.close();
    return {
      shards: this.initial.size,
      losses: this.losses,
      moves: this.moves,
      checks: this.checks,
      max_heartbeat_age_ms: this.maxAgeMs,
    };
  }
}
