import type { Lease, LeaseRecord } from "./lease.js";

/** The shared state of in-process leases, by name (one table per process unless told). */
export type LeaseTable = Map<string, LeaseRecord>;

const processTable: LeaseTable = new Map();

export interface InProcessLeaseOptions {
  name: string;
  holderId: string;
  ttlMs?: number;
  table?: LeaseTable;
}

/**
 * A lease inside one process (embedded mode, tests): the same rules as the KV bucket's, the
 * record in a map shared by the contenders.
 */
export class InProcessLease implements Lease {
  readonly holderId: string;
  readonly ttlMs: number;
  private readonly name: string;
  private readonly table: LeaseTable;
  /** The record this contender last wrote while holding the lease. */
  private mine: LeaseRecord | undefined;

  constructor(options: InProcessLeaseOptions) {
    this.name = options.name;
    this.holderId = options.holderId;
    this.ttlMs = options.ttlMs ?? 10_000;
    this.table = options.table ?? processTable;
  }

  isHolder(): boolean {
    return this.mine !== undefined && Date.now() < this.mine.expiresAtMs;
  }

  async acquire(): Promise<boolean> {
    if (await this.renew()) return true;
    const record = this.table.get(this.name);
    const now = Date.now();
    if (record && record.expiresAtMs > now && record.holder !== this.holderId) return false;
    this.write(now);
    return true;
  }

  async renew(): Promise<boolean> {
    // Still ours when nobody replaced the very record we wrote.
    if (this.mine === undefined || this.table.get(this.name) !== this.mine) {
      this.mine = undefined;
      return false;
    }
    this.write(this.mine.acquiredAtMs);
    return true;
  }

  async release(): Promise<void> {
    if (this.mine !== undefined && this.table.get(this.name) === this.mine) {
      this.table.delete(this.name);
    }
    this.mine = undefined;
  }

  async holder(): Promise<string | undefined> {
    const record = this.table.get(this.name);
    return record && record.expiresAtMs > Date.now() ? record.holder : undefined;
  }

  private write(acquiredAtMs: number): void {
    this.mine = { holder: this.holderId, expiresAtMs: Date.now() + this.ttlMs, acquiredAtMs };
    this.table.set(this.name, this.mine);
  }
}
