import { setTimeout as sleep } from "node:timers/promises";
import type { MigrationResponse, QuiverClient } from "@quiver/api";
import { ProgressBar } from "../load/progress.js";

/** Partition states in which nothing more happens after a failure or a cancel. */
const SETTLED = new Set(["rolled_back", "abandoned", "failed", "superseded"]);

export interface FollowOptions {
  client: QuiverClient;
  libraryId: string;
  migrationId: string;
  /** Between two polls (default 500 ms). */
  pollMs?: number;
  /** Off a TTY, a progress line at most this often (default 5 s). */
  plainIntervalMs?: number;
  stream?: NodeJS.WriteStream;
  /** Draw the progress bar (default true; a cancel has no use for it). */
  bar?: boolean;
}

export interface FollowResult {
  /** The last state seen. */
  last: MigrationResponse;
  /** Ctrl-C stopped the following before the migration ended. */
  interrupted: boolean;
}

/**
 * True once a migration has ended and its partitions have too: all switched when it completed;
 * after a failure or a cancel, no partition still building, rolling back, or switched to a
 * config it is about to roll back from.
 */
export function isSettled(m: MigrationResponse): boolean {
  if (m.status === "in_progress") return false;
  if (m.status === "completed") return true;
  return m.partitions.every((p) => SETTLED.has(p.state));
}

/**
 * Polls a migration until it has settled, drawing its progress (share of vectors rebuilt, which
 * never goes back) with the server's ETA. SIGINT stops the following only: the migration goes on.
 */
export async function followMigration(options: FollowOptions): Promise<FollowResult> {
  const { client, libraryId, migrationId } = options;
  const stream = options.stream ?? process.stderr;
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once("SIGINT", onSigint);
  try {
    let last = await client.migration(libraryId, migrationId);
    const total = Math.max(1, last.vectors_total);
    const bar = new ProgressBar(total, Math.round(last.progress * total), stream, {
      label: migrationId,
      plainIntervalMs: options.plainIntervalMs ?? 5000,
    });
    let first = true;
    let ended = options.bar === false;
    let pendingShown = -1;
    for (;;) {
      const done = Math.round(last.progress * total);
      if (last.status === "in_progress") {
        bar.update(done, first, last.eta_seconds);
        first = false;
      } else if (!ended) {
        bar.finish(done, null);
        ended = true;
      }
      if (isSettled(last)) return { last, interrupted: false };
      const pending = last.partitions.filter((p) => !SETTLED.has(p.state));
      if (ended && pending.length !== pendingShown) {
        pendingShown = pending.length;
        const states = pending.map((p) => `${p.partition}: ${p.state}`).join(", ");
        stream.write(
          `migration ${last.status}: waiting for ${pending.length} partition(s) to drop or roll back their rebuild (${states})\n`,
        );
      }
      try {
        await sleep(options.pollMs ?? 500, undefined, { signal: stop.signal });
      } catch {
        // aborted by Ctrl-C
      }
      if (stop.signal.aborted) {
        if (!ended) bar.finish(Math.round(last.progress * total), last.eta_seconds);
        return { last, interrupted: true };
      }
      last = await client.migration(libraryId, migrationId);
    }
  } finally {
    process.off("SIGINT", onSigint);
  }
}
