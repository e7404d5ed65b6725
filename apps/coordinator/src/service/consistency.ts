import {
  ApiError,
  ApiErrorCode,
  type Consistency,
  invalidField,
  type ShardClient,
} from "@quiver/api";
import type { LibraryRecord } from "@quiver/events";
import type { ServiceContext } from "./context.js";
import { decodeWriteToken } from "./write-token.js";

/**
 * The sequence each partition must have applied before a read at `consistency` may answer:
 * eventual, none; session, the write token's; strong, the log's last sequence of the partition
 * when the request arrived (everything acknowledged before it).
 */
export async function readSeqs(
  ctx: ServiceContext,
  library: LibraryRecord,
  consistency: Consistency,
  writeToken: string | undefined,
  partitions: number[],
): Promise<Record<number, number>> {
  if (consistency === "session") {
    if (!writeToken) {
      throw invalidField("write_token", "is required with consistency session");
    }
    const token = decodeWriteToken(writeToken);
    if (token.libraryId !== library.libraryId) {
      throw invalidField(
        "write_token",
        `was issued for library ${token.libraryId}, not ${library.libraryId}`,
        ApiErrorCode.InvalidWriteToken,
      );
    }
    const wanted = new Set(partitions);
    const seqs: Record<number, number> = {};
    for (const [p, seq] of Object.entries(token.seqs))
      if (wanted.has(Number(p))) seqs[Number(p)] = seq;
    return seqs;
  }
  if (consistency === "strong") {
    const seqs: Record<number, number> = {};
    await Promise.all(partitions.map(async (p) => (seqs[p] = await ctx.log.lastSeq(p))));
    return seqs;
  }
  if (writeToken !== undefined) decodeWriteToken(writeToken);
  return {};
}

/**
 * Waits until the replicas of each partition have applied its sequence (a `wait: true` write).
 * A replica that no longer serves the partition (it is handing it over) or does not answer is
 * not waited for, but at least one replica of each partition must have applied the write. The
 * write is durable either way: a timeout says so.
 */
export async function waitForShards(
  ctx: ServiceContext,
  seqs: Record<number, number>,
  timeoutMs: number,
  writeToken: string,
): Promise<void> {
  const byShard = new Map<string, { shard: ShardClient; seqs: Record<number, number> }>();
  for (const [p, seq] of Object.entries(seqs)) {
    for (const shard of ctx.router.replicas(Number(p))) {
      let entry = byShard.get(shard.shardId);
      if (!entry) byShard.set(shard.shardId, (entry = { shard, seqs: {} }));
      entry.seqs[Number(p)] = seq;
    }
  }
  const reached = new Set<number>();
  const behind = new Set<number>();
  await Promise.all(
    [...byShard.values()].map(async ({ shard, seqs: wanted }) => {
      const applied = await shard
        .waitApplied(wanted, timeoutMs)
        .catch(() => ({}) as Record<number, number>);
      for (const [p, seq] of Object.entries(wanted)) {
        const at = applied[Number(p)] ?? -1;
        if (at >= seq) reached.add(Number(p));
        else if (at >= 0) behind.add(Number(p)); // serves it, but did not get there in time
      }
    }),
  );
  const late = Object.keys(seqs)
    .map(Number)
    .filter((p) => behind.has(p) || !reached.has(p))
    .sort((a, b) => a - b);
  if (late.length > 0) {
    throw new ApiError(
      ApiErrorCode.Timeout,
      "the write is durable in the log, but not every shard applied it in time",
      { write_token: writeToken, partitions: late },
    );
  }
}
