import type { QuiverClient, StatisticsResponse } from "@quiver/api";

/**
 * The statistics once the library serves (a quantized library trains in the background once its
 * sample is full, then its partitions switch to codes), or an error naming the state it was in.
 */
export async function untilServing(
  client: QuiverClient,
  libraryId: string,
  timeoutMs = 90_000,
): Promise<StatisticsResponse> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stats = await client.statistics(libraryId);
    if (stats.state === "serving") return stats;
    if (Date.now() > deadline) {
      throw new Error(`library ${libraryId} still ${stats.state} after ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
