import { Kvm, type KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Membership, MemberRecord } from "./membership.js";

export const MEMBERS_BUCKET = "quiver_members";

export interface KvMembershipOptions {
  /** A record not refreshed for this long is dead (and the bucket drops it). */
  ttlMs?: number;
  bucket?: string;
}

/**
 * Membership in a JetStream KV bucket: one key per shard, refreshed by its heartbeat, expired by
 * the bucket's max age. Expiry leaves no delete marker in a watch, so liveness is judged here from
 * the record's age as well, on a timer.
 */
export class KvMembership implements Membership {
  private readonly records = new Map<string, { record: MemberRecord; seenMs: number }>();
  private readonly listeners = new Set<() => void>();
  private watch: Awaited<ReturnType<KV["watch"]>> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private liveIds = "";

  private constructor(
    private readonly kv: KV,
    private readonly ttlMs: number,
  ) {}

  static async open(nc: NatsConnection, options: KvMembershipOptions = {}): Promise<KvMembership> {
    const ttlMs = options.ttlMs ?? 5_000;
    const kv = await new Kvm(nc).create(options.bucket ?? MEMBERS_BUCKET, {
      ttl: ttlMs,
      history: 1,
    });
    const membership = new KvMembership(kv, ttlMs);
    await membership.start();
    return membership;
  }

  private async start(): Promise<void> {
    const watch = await this.kv.watch({ key: ">" });
    this.watch = watch;
    void (async () => {
      for await (const entry of watch) {
        if (entry.operation === "PUT") {
          const record = JSON.parse(new TextDecoder().decode(entry.value)) as MemberRecord;
          this.records.set(entry.key, { record, seenMs: Date.now() });
        } else {
          this.records.delete(entry.key);
        }
        this.changed(true);
      }
    })();
    this.timer = setInterval(() => this.changed(false), Math.max(100, Math.floor(this.ttlMs / 5)));
    this.timer.unref();
  }

  async announce(record: MemberRecord): Promise<void> {
    await this.kv.put(record.shardId, new TextEncoder().encode(JSON.stringify(record)));
  }

  async leave(shardId: string): Promise<void> {
    await this.kv.delete(shardId);
  }

  members(): MemberRecord[] {
    const now = Date.now();
    return [...this.records.values()]
      .filter((r) => now - r.seenMs <= this.ttlMs)
      .map((r) => r.record)
      .sort((a, b) => (a.shardId < b.shardId ? -1 : 1));
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tells the listeners, on every record change, or when the set of live members changed. */
  private changed(recordChanged: boolean): void {
    const ids = this.members()
      .map((m) => m.shardId)
      .join(",");
    if (!recordChanged && ids === this.liveIds) return;
    this.liveIds = ids;
    for (const listener of this.listeners) listener();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.watch?.stop();
    this.listeners.clear();
  }
}
