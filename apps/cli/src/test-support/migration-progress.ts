import type { MigrationResponse, QuiverClient } from "@quiver/api";

/** Polls a migration until `done` holds, checking that its progress never goes back. */
export async function followMigration(
  client: QuiverClient,
  libraryId: string,
  migrationId: string,
  done: (m: MigrationResponse) => boolean,
  timeoutMs = 120_000,
): Promise<{ last: MigrationResponse; progress: number[] }> {
  const deadline = Date.now() + timeoutMs;
  const progress: number[] = [];
  for (;;) {
    const m = await client.migration(libraryId, migrationId);
    progress.push(m.progress);
    if (done(m)) return { last: m, progress };
    if (Date.now() > deadline) {
      throw new Error(`migration ${migrationId} still ${m.status} at ${m.progress}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function isSorted(values: number[]): boolean {
  return values.every((v, i) => i === 0 || v >= values[i - 1]);
}
