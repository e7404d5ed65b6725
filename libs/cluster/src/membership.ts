/** What a shard node announces about itself, over and over (its heartbeat). */
export interface MemberRecord {
  shardId: string;
  /** Partitions the node serves now (caught up with the log). */
  serving: number[];
  /** Partitions it is catching up on. */
  catchingUp: number[];
  /** When the record was written (the writer's clock). */
  atMs: number;
}

/**
 * Which shard nodes are alive and what they serve. Cluster mode: a JetStream KV bucket whose
 * entries expire (KvMembership); embedded mode has one node and needs none of it.
 */
export interface Membership {
  /** Writes (or refreshes) a node's record. */
  announce(record: MemberRecord): Promise<void>;
  /** Removes a node's record (a clean leave). */
  leave(shardId: string): Promise<void>;
  /** The records of the nodes alive now (heard from within the time-to-live). */
  members(): MemberRecord[];
  /** Called when the live members or their records change. */
  onChange(listener: () => void): () => void;
  close(): Promise<void>;
}
