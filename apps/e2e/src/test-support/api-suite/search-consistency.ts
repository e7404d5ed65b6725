import { exactTopK, randomVectors } from "@quiver/cli/test-support";
import { Rng } from "@quiver/engine";
import { expect, it } from "vitest";
import { untilServing } from "../library-state.js";
import type { ApiSuiteContext } from "./context.js";

/**
 * Search and consistency: batches, exact merges over partitions, `exact: true`, session and
 * strong reads, every filter operator.
 */
export function defineSearchTests(suite: ApiSuiteContext): void {
  it("answers a batch of queries with one list per query", async () => {
    const { client } = suite;
    const lib = await client.createLibrary({ name: "batch", dimension: 2 });
    await client.upsert(
      lib.id,
      [
        { id: "x", vector: [1, 0] },
        { id: "y", vector: [0, 1] },
      ],
      { wait: true },
    );
    const answer = await client.searchBatch(
      lib.id,
      [
        [1, 0],
        [0, 1],
      ],
      { k: 1 },
    );
    expect(answer.results.map((r) => r.map((h) => h.id))).toEqual([["x"], ["y"]]);
  });

  it("merges partitions exactly: a flat library over several partitions equals exact search", async () => {
    const { client, deployment } = suite;
    const dim = 12;
    const count = 600;
    const data = randomVectors(count, dim, 7);
    const partitions = deployment.maxPartitions;
    const one = await client.createLibrary({
      name: "exact-1",
      dimension: dim,
      index_type: "flat",
      partitions: 1,
    });
    const many = await client.createLibrary({
      name: "exact-n",
      dimension: dim,
      index_type: "flat",
      partitions,
    });
    const rows = Array.from({ length: count }, (_, i) => ({
      id: `v${i}`,
      vector: data.subarray(i * dim, (i + 1) * dim),
      metadata: { n: i },
    }));
    await client.upsert(one.id, rows, { wait: true });
    await client.upsert(many.id, rows, { wait: true });
    const queries = randomVectors(20, dim, 8);
    for (let q = 0; q < 20; q++) {
      const query = queries.subarray(q * dim, (q + 1) * dim);
      const expected = exactTopK(data, dim, query, 10);
      const a = await client.search(one.id, query, { k: 10 });
      const b = await client.search(many.id, query, { k: 10 });
      expect(a.results.map((h) => h.id)).toEqual(expected.map((i) => `v${i}`));
      expect(b.results.map((h) => h.id)).toEqual(a.results.map((h) => h.id));
      b.results.forEach((h, i) => expect(h.distance).toBeCloseTo(a.results[i].distance, 4));
    }
  });

  it("answers exact: true with the exact top k, bypassing a quantized index", async () => {
    const { client } = suite;
    const dim = 16;
    const count = 3000;
    const data = randomVectors(count, dim, 21);
    const lib = await client.createLibrary({
      name: "exact-flag",
      dimension: dim,
      partitions: 1,
      quantization_config: { strategy: "product", subvectors: 2, training_samples: 1000 },
    });
    await client.upsert(
      lib.id,
      Array.from({ length: count }, (_, i) => ({
        id: `v${i}`,
        vector: data.subarray(i * dim, (i + 1) * dim),
      })),
      { wait: true },
    );
    await untilServing(client, lib.id);
    const queries = randomVectors(10, dim, 22);
    let approximateMisses = 0;
    for (let q = 0; q < 10; q++) {
      const query = queries.subarray(q * dim, (q + 1) * dim);
      const expected = exactTopK(data, dim, query, 10).map((i) => `v${i}`);
      const exact = await client.search(lib.id, query, { k: 10, exact: true });
      expect(exact.results.map((h) => h.id)).toEqual(expected);
      const approximate = await client.search(lib.id, query, { k: 10 });
      approximateMisses += expected.filter(
        (id) => !approximate.results.some((h) => h.id === id),
      ).length;
    }
    // 2 subvectors of 8 dimensions: the codes alone lose neighbours, exact search does not
    expect(approximateMisses).toBeGreaterThan(0);
  });

  it("reads its writes: 1,000 interleaved upserts and session searches", async () => {
    const { client, deployment } = suite;
    const dim = 8;
    const lib = await client.createLibrary({
      name: "session",
      dimension: dim,
      partitions: deployment.maxPartitions,
    });
    const rng = new Rng(42);
    let misses = 0;
    for (let i = 0; i < 1000; i++) {
      const vector = Array.from({ length: dim }, () => rng.next() * 2 - 1);
      const { write_token } = await client.upsert(lib.id, [
        { id: `s${i}`, vector, metadata: { i } },
      ]);
      const found = await client.search(lib.id, vector, {
        k: 1,
        consistency: "session",
        write_token,
        filter: { i },
      });
      if (found.results[0]?.id !== `s${i}`) misses++;
    }
    expect(misses).toBe(0);
  });

  it("strong consistency sees every acknowledged write", async () => {
    const { client, deployment } = suite;
    const lib = await client.createLibrary({
      name: "strong",
      dimension: 3,
      partitions: deployment.maxPartitions,
    });
    for (let i = 0; i < 50; i++) {
      await client.upsert(lib.id, [{ id: `t${i}`, vector: [i, 1, 0] }]);
      const got = await client.search(lib.id, [i, 1, 0], { k: 1, consistency: "strong" });
      expect(got.results[0]?.id).toBe(`t${i}`);
    }
  });

  it("filters return only matching vectors, for every operator", async () => {
    const { client, deployment } = suite;
    const dim = 6;
    const count = 400;
    const data = randomVectors(count, dim, 3);
    const lib = await client.createLibrary({
      name: "filters",
      dimension: dim,
      partitions: deployment.maxPartitions,
    });
    const colours = ["red", "green", "blue"];
    const meta = (i: number) => ({
      colour: colours[i % 3],
      n: i,
      tags: i % 2 ? ["odd"] : ["even"],
      ...(i % 5 === 0 ? { rare: true } : {}),
      nested: { level: i % 4 },
    });
    await client.upsert(
      lib.id,
      Array.from({ length: count }, (_, i) => ({
        id: `f${i}`,
        vector: data.subarray(i * dim, (i + 1) * dim),
        metadata: meta(i),
      })),
      { wait: true },
    );
    const filters: [Record<string, unknown>, (m: ReturnType<typeof meta>) => boolean][] = [
      [{ colour: "red" }, (m) => m.colour === "red"],
      [{ colour: { $ne: "red" } }, (m) => m.colour !== "red"],
      [{ colour: { $in: ["green", "blue"] } }, (m) => m.colour !== "red"],
      [{ colour: { $nin: ["green", "blue"] } }, (m) => m.colour === "red"],
      [{ n: { $gt: 100, $lte: 200 } }, (m) => m.n > 100 && m.n <= 200],
      [{ n: { $lt: 50 } }, (m) => m.n < 50],
      [{ rare: { $exists: true } }, (m) => m.rare === true],
      [{ rare: { $exists: false } }, (m) => m.rare === undefined],
      [{ $or: [{ colour: "red" }, { n: { $gte: 390 } }] }, (m) => m.colour === "red" || m.n >= 390],
      [
        { $and: [{ colour: "blue" }, { tags: "odd" }] },
        (m) => m.colour === "blue" && m.tags[0] === "odd",
      ],
      [{ $not: { colour: "red" } }, (m) => m.colour !== "red"],
      [{ n: { $not: { $gte: 10 } } }, (m) => !(m.n >= 10)],
      [{ "nested.level": 2 }, (m) => m.nested.level === 2],
    ];
    const query = data.subarray(0, dim);
    for (const [filter, predicate] of filters) {
      const { results } = await client.search(lib.id, query, { k: 20, filter });
      const expected = exactTopK(data, dim, query, 20, (i) => predicate(meta(i)));
      for (const hit of results)
        expect(predicate(hit.metadata as ReturnType<typeof meta>), JSON.stringify(filter)).toBe(
          true,
        );
      expect(
        results.map((h) => h.id),
        JSON.stringify(filter),
      ).toEqual(expected.map((i) => `f${i}`));
    }
  });
}
