import {
  type ApiError,
  type BenchmarkJobResponse,
  isApiError,
  type QuiverClient,
} from "@quiver/api";
import { randomVectors } from "./vectors.js";

/** The API error `promise` rejects with (an error when it resolves or rejects otherwise). */
export async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isApiError(error)) throw new Error(`expected an API error, got ${String(error)}`);
  return error;
}

/** Polls a benchmark job until it is no longer running; answers its last state. */
export async function finishedJob(
  client: QuiverClient,
  libraryId: string,
  jobId: string,
  everyMs = 200,
): Promise<BenchmarkJobResponse> {
  let job: BenchmarkJobResponse;
  do {
    await new Promise((r) => setTimeout(r, everyMs));
    job = await client.benchmark(libraryId, jobId);
  } while (job.status === "running");
  return job;
}

/** A new l2 library of `count` seeded random vectors (ids v0, v1, ...), applied by its shards. */
export async function loadedLibrary(
  client: QuiverClient,
  name: string,
  count: number,
  dimension: number,
  seed: number,
): Promise<string> {
  const { id } = await client.createLibrary({ name, dimension, metric: "l2" });
  const data = randomVectors(count, dimension, seed);
  for (let start = 0; start < count; start += 1000) {
    const rows = Array.from({ length: Math.min(1000, count - start) }, (_, i) => start + i);
    await client.upsert(
      id,
      rows.map((i) => ({ id: `v${i}`, vector: data.subarray(i * dimension, (i + 1) * dimension) })),
      { wait: true },
    );
  }
  return id;
}
