import { expect, it } from "vitest";
import { type ApiSuiteContext, expectApiError } from "./context.js";

/** Vectors: upsert, get and delete, and a retried upsert's Idempotency-Key. */
export function defineVectorTests(suite: ApiSuiteContext): void {
  it("upserts, gets, searches with a filter and deletes vectors", async () => {
    const { client, deployment } = suite;
    const lib = await client.createLibrary({
      name: "walk",
      dimension: 4,
      partitions: Math.min(2, deployment.maxPartitions),
    });
    const write = await client.upsert(
      lib.id,
      [
        { id: "a", vector: [1, 0, 0, 0], metadata: { genre: "news", year: 2021 } },
        { id: "b", vector: [0.9, 0.1, 0, 0], metadata: { genre: "sport", year: 2019 } },
        { id: "c", vector: [0, 1, 0, 0], metadata: { genre: "news", year: 2018 } },
      ],
      { wait: true },
    );
    expect(write).toMatchObject({ status: "applied", count: 3 });
    expect(write.write_token).toMatch(/^v1\./);
    const all = await client.search(lib.id, [1, 0, 0, 0], { k: 3 });
    expect(all.results.map((h) => h.id)).toEqual(["a", "b", "c"]);
    expect(all.results[0]).toMatchObject({
      distance: 0,
      metadata: { genre: "news", year: 2021 },
    });
    const filtered = await client.search(lib.id, [1, 0, 0, 0], {
      k: 3,
      filter: { genre: "news", year: { $gte: 2020 } },
    });
    expect(filtered.results.map((h) => h.id)).toEqual(["a"]);
    const got = await client.getVector(lib.id, "b");
    expect(got.vector.map((x) => Math.round(x * 10) / 10)).toEqual([0.9, 0.1, 0, 0]);
    expect(got.metadata).toEqual({ genre: "sport", year: 2019 });
    await client.deleteVector(lib.id, "a", { wait: true });
    await expectApiError(client.getVector(lib.id, "a"), 404, "a");
    expect((await client.search(lib.id, [1, 0, 0, 0], { k: 3 })).results.map((h) => h.id)).toEqual([
      "b",
      "c",
    ]);
    await client.deleteVectors(lib.id, ["b", "c", "never-written"], { wait: true });
    expect((await client.search(lib.id, [1, 0, 0, 0], { k: 3 })).results).toEqual([]);
    expect((await client.getLibrary(lib.id)).num_vectors).toBe(0);
  });

  it("deduplicates a retried upsert by Idempotency-Key, and never drops other vectors sent with the same key", async () => {
    const { client } = suite;
    const lib = await client.createLibrary({ name: "idempotent", dimension: 2 });
    const first = await client.upsert(lib.id, [{ id: "x", vector: [1, 0] }], {
      idempotencyKey: "k1",
    });
    const retry = await client.upsert(lib.id, [{ id: "x", vector: [1, 0] }], {
      idempotencyKey: "k1",
    });
    expect(retry.write_token).toBe(first.write_token); // the log answered the first write's sequence
    const other = await client.upsert(lib.id, [{ id: "y", vector: [0, 1] }], {
      idempotencyKey: "k1",
      wait: true,
    });
    expect(other.write_token).not.toBe(first.write_token);
    expect((await client.getVector(lib.id, "y", { consistency: "strong" })).vector).toEqual([0, 1]);
    expect((await client.getLibrary(lib.id)).num_vectors).toBe(2);
  });
}
