import { Kvm, type KV, type KvEntry } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Lease, LeaseRecord } from "./lease.js";

export const LEASES_BUCKET = "quiver_leases";

export interface KvLeaseOptions {
  /** The lease's name: one key of the bucket (e.g. `policy`). */
  name: string;
  /** This contender's id. */
  holderId: string;
  /** How long a holder keeps it without renewing; 10000 unless told. */
  ttlMs?: number;
  bucket?: string;
}

/**
 * A lease in a JetStream KV bucket: one key whose value names the holder and when the lease
 * expires. Every change is a revision-checked write (expected last sequence of the key), so of
 * two contenders writing on the same revision exactly one wins. nats-server 2.9 has no per-key
 * TTL, so expiry is the timestamp in the value: a contender takes an expired lease over by
 * updating the revision it read. The clocks of the contenders are assumed to agree to well
 * within the time-to-live (NTP).
 */
export class KvLease implements Lease {
  readonly holderId: string;
  readonly ttlMs: number;
  private readonly name: string;
  /** The revision this contender last wrote while holding the lease. */
  private revision: number | undefined;
  private expiresAtMs = 0;
  private acquiredAtMs = 0;

  private constructor(
    private readonly kv: KV,
    options: KvLeaseOptions,
  ) {
    this.name = options.name;
    this.holderId = options.holderId;
    this.ttlMs = options.ttlMs ?? 10_000;
  }

  static async open(nc: NatsConnection, options: KvLeaseOptions): Promise<KvLease> {
    const kv = await new Kvm(nc).create(options.bucket ?? LEASES_BUCKET, { history: 1 });
    return new KvLease(kv, options);
  }

  isHolder(): boolean {
    return this.revision !== undefined && Date.now() < this.expiresAtMs;
  }

  async acquire(): Promise<boolean> {
    if (this.revision !== undefined && (await this.renew())) return true;
    const entry = await this.kv.get(this.name);
    const record = recordOf(entry);
    const free = !record || record.expiresAtMs <= Date.now() || record.holder === this.holderId;
    if (!free) return false;
    // A revision of 0 means "the key has no value yet"; otherwise the entry (or delete) we read.
    return this.write(entry?.revision ?? 0, Date.now());
  }

  async renew(): Promise<boolean> {
    if (this.revision === undefined) return false;
    return this.write(this.revision, this.acquiredAtMs);
  }

  async release(): Promise<void> {
    const revision = this.revision;
    if (revision === undefined) return;
    this.revision = undefined;
    this.expiresAtMs = 0;
    // Only our own revision: a lease someone took over meanwhile is not ours to delete.
    await this.kv.delete(this.name, { previousSeq: revision }).catch((error: unknown) => {
      if (!isWrongLastSequence(error)) throw error;
    });
  }

  async holder(): Promise<string | undefined> {
    const record = recordOf(await this.kv.get(this.name));
    return record && record.expiresAtMs > Date.now() ? record.holder : undefined;
  }

  /** Writes this contender's record on `previousRevision`; false when another write came first. */
  private async write(previousRevision: number, acquiredAtMs: number): Promise<boolean> {
    const now = Date.now();
    const record: LeaseRecord = {
      holder: this.holderId,
      expiresAtMs: now + this.ttlMs,
      acquiredAtMs,
    };
    try {
      this.revision = await this.kv.put(this.name, JSON.stringify(record), {
        previousSeq: previousRevision,
      });
      this.expiresAtMs = record.expiresAtMs;
      this.acquiredAtMs = acquiredAtMs;
      return true;
    } catch (error) {
      if (!isWrongLastSequence(error)) throw error;
      this.revision = undefined;
      this.expiresAtMs = 0;
      return false;
    }
  }
}

function recordOf(entry: KvEntry | null): LeaseRecord | undefined {
  if (!entry || entry.operation !== "PUT") return undefined;
  return entry.json<LeaseRecord>();
}

/**
 * JetStream refused a write whose expected last sequence was not the key's (10071), or could not
 * tell (10164): another contender wrote first.
 */
function isWrongLastSequence(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 10071 || code === 10164;
}
