import type { Membership, MemberRecord } from "./membership.js";

/**
 * Membership inside one process (embedded mode): the same interface as the KV bucket's, with the
 * records in a map. Nothing expires: the process's nodes leave when it stops.
 */
export class InProcessMembership implements Membership {
  private readonly records = new Map<string, MemberRecord>();
  private readonly listeners = new Set<() => void>();

  async announce(record: MemberRecord): Promise<void> {
    const previous = this.records.get(record.shardId);
    this.records.set(record.shardId, record);
    const same = (a: number[], b: number[]) =>
      a.length === b.length && a.every((x, i) => x === b[i]);
    if (
      !previous ||
      !same(previous.serving, record.serving) ||
      !same(previous.catchingUp, record.catchingUp)
    ) {
      this.changed();
    }
  }

  async leave(shardId: string): Promise<void> {
    if (this.records.delete(shardId)) this.changed();
  }

  members(): MemberRecord[] {
    return [...this.records.values()].sort((a, b) => (a.shardId < b.shardId ? -1 : 1));
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }

  /** Listeners run after the caller's turn, as they would for a watched bucket. */
  private changed(): void {
    queueMicrotask(() => {
      for (const listener of this.listeners) listener();
    });
  }
}
