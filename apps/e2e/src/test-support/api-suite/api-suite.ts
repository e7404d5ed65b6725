import { request } from "node:http";
import { ApiError, type LibraryResponse, QuiverClient } from "@quiver/api";
import { exactTopK, randomVectors } from "@quiver/cli/test-support";
import { Rng } from "@quiver/engine";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { untilServing } from "../library-state.js";

export interface Deployment {
  url: string;
  /** Data partitions a library may have in this deployment. */
  maxPartitions: number;
  close(): Promise<void>;
}

/** What a caller can observe of the whole state: libraries and their vector counts. */
async function observe(client: QuiverClient): Promise<string> {
  const libraries = await client.listLibraries();
  const counts = await Promise.all(libraries.map((l) => client.getLibrary(l.id)));
  return JSON.stringify(counts.map((l) => [l.id, l.name, l.num_vectors]));
}

async function expectApiError(
  promise: Promise<unknown>,
  status: number,
  fieldPart?: string,
): Promise<ApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, "the request should have failed").toBeInstanceOf(ApiError);
  const apiError = error as ApiError;
  expect(apiError.status).toBe(status);
  if (fieldPart) expect(apiError.message).toContain(fieldPart);
  return apiError;
}

/**
 * The v1 API's behaviour, run against a deployment: embedded mode and a local cluster run the
 * same suite.
 */
export function defineApiSuite(name: string, start: () => Promise<Deployment>): void {
  describe(`v1 API (${name})`, () => {
    let deployment: Deployment;
    let client: QuiverClient;

    beforeAll(async () => {
      deployment = await start();
      client = new QuiverClient({ url: deployment.url });
    });
    afterAll(async () => deployment?.close());

    it("creates, lists, gets and deletes libraries; create returns the quantization summary", async () => {
      const created = await client.createLibrary({
        name: "docs",
        dimension: 16,
        metric: "cosine",
        quantization_config: { strategy: "hybrid", initial_search: "scalar" },
      });
      expect(created.id).toMatch(/^lib_/);
      expect(created.quantization.strategy).toBe("hybrid");
      expect(created.quantization.memory_savings).toBe("75%");
      expect(created.quantization.estimated_accuracy).toMatch(/%$/);
      expect(created.quantization_config).toMatchObject({ rerank_top_k: 100, bits: 8 });
      expect((await client.listLibraries()).map((l) => l.id)).toContain(created.id);
      const got = await client.getLibrary(created.id);
      expect(got).toMatchObject({ id: created.id, name: "docs", dimension: 16, num_vectors: 0 });
      await expectApiError(client.createLibrary({ name: "docs", dimension: 4 }), 409, "name");
      await client.deleteLibrary(created.id);
      await expectApiError(client.getLibrary(created.id), 404);
      expect((await client.listLibraries()).map((l) => l.id)).not.toContain(created.id);
    });

    it("rejects invalid library configs with a 400 naming the field", async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ strategy: "float16" }, "quantization_config.strategy"],
        [{ strategy: "product", subvectors: 7 }, "quantization_config.subvectors"],
        [{ strategy: "scalar", bits: 4 }, "quantization_config.bits"],
        [{ strategy: "hybrid", rerank_top_k: 0 }, "quantization_config.rerank_top_k"],
        [{ strategy: "hybrid", float32_cache_mb: -1 }, "quantization_config.float32_cache_mb"],
        [{ strategy: "scalar", float32_cache_mb: 8 }, "quantization_config.float32_cache_mb"],
        [
          { strategy: "adaptive", max_memory_gb: 1, target_accuracy: 1.5 },
          "quantization_config.target_accuracy",
        ],
        [{ strategy: "scalar", subvectors: 4 }, "quantization_config.subvectors"],
      ];
      const before = await observe(client);
      for (const [config, field] of cases) {
        await expectApiError(
          client.createLibrary({
            name: "bad",
            dimension: 16,
            quantization_config: config as never,
          }),
          400,
          field,
        );
      }
      await expectApiError(client.createLibrary({ name: "bad", dimension: 0 }), 400, "dimension");
      await expectApiError(
        client.createLibrary({ name: "bad", dimension: 8, hnsw_config: { m: 1 } }),
        400,
        "hnsw_config.m",
      );
      await expectApiError(
        client.createLibrary({
          name: "bad",
          dimension: 8,
          partitions: deployment.maxPartitions + 1,
        }),
        400,
        "partitions",
      );
      expect(await observe(client)).toBe(before);
    });

    it("upserts, gets, searches with a filter and deletes vectors", async () => {
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
      expect(
        (await client.search(lib.id, [1, 0, 0, 0], { k: 3 })).results.map((h) => h.id),
      ).toEqual(["b", "c"]);
      await client.deleteVectors(lib.id, ["b", "c", "never-written"], { wait: true });
      expect((await client.search(lib.id, [1, 0, 0, 0], { k: 3 })).results).toEqual([]);
      expect((await client.getLibrary(lib.id)).num_vectors).toBe(0);
    });

    it("deduplicates a retried upsert by Idempotency-Key, and never drops other vectors sent with the same key", async () => {
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
      expect((await client.getVector(lib.id, "y", { consistency: "strong" })).vector).toEqual([
        0, 1,
      ]);
      expect((await client.getLibrary(lib.id)).num_vectors).toBe(2);
    });

    it("answers a batch of queries with one list per query", async () => {
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
        [
          { $or: [{ colour: "red" }, { n: { $gte: 390 } }] },
          (m) => m.colour === "red" || m.n >= 390,
        ],
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

    it("rejects bad requests with a 4xx naming the field and changes nothing", async () => {
      const lib = await client.createLibrary({ name: "guarded", dimension: 3 });
      await client.upsert(lib.id, [{ id: "keep", vector: [1, 2, 3], metadata: { a: 1 } }], {
        wait: true,
      });
      const before = await observe(client);
      const raw = (
        method: string,
        path: string,
        body?: string,
        headers: Record<string, string> = {},
      ) =>
        fetch(`${deployment.url}${path}`, {
          method,
          headers: { "content-type": "application/json", ...headers },
          body,
        }).then(async (r) => ({
          status: r.status,
          body: (await r.json()) as { error: { message: string; code: string } },
        }));
      const base = `/v1/libraries/${lib.id}`;
      const cases: [string, string, string | undefined, number, string][] = [
        ["POST", `${base}/vectors`, "{not json", 400, "JSON"],
        [
          "POST",
          `${base}/vectors`,
          JSON.stringify({ vectors: [{ id: "x", vector: [1, 2] }] }),
          400,
          "vectors[0].vector",
        ],
        ["POST", `${base}/vectors`, '{"vectors":[{"id":"x","vector":[1,NaN,3]}]}', 400, "JSON"],
        [
          "POST",
          `${base}/vectors`,
          JSON.stringify({ vectors: [{ id: "x", vector: [1, "2", 3] }] }),
          400,
          "vectors[0].vector[1]",
        ],
        ["POST", `${base}/vectors`, JSON.stringify({ vectors: [] }), 400, "vectors"],
        [
          "POST",
          `${base}/vectors`,
          JSON.stringify({ vectors: [{ id: "x", vector: [1, 2, 3], extra: 1 }] }),
          400,
          "vectors[0].extra",
        ],
        [
          "POST",
          `/v1/libraries/lib_missing/vectors`,
          JSON.stringify({ vectors: [{ id: "x", vector: [1, 2, 3] }] }),
          404,
          "lib_missing",
        ],
        ["POST", `${base}/search`, JSON.stringify({ vector: [1, 2, 3], k: 0 }), 400, "k"],
        ["POST", `${base}/search`, JSON.stringify({ vector: [1, 2, 3], k: 1_000_000 }), 400, "k"],
        ["POST", `${base}/search`, JSON.stringify({ vector: [1, 2] }), 400, "vector"],
        ["POST", `${base}/search`, JSON.stringify({ k: 3 }), 400, "vector"],
        [
          "POST",
          `${base}/search`,
          JSON.stringify({ vector: [1, 2, 3], filter: { a: { $regex: "x" } } }),
          400,
          "filter.a.$regex",
        ],
        [
          "POST",
          `${base}/search`,
          JSON.stringify({ vector: [1, 2, 3], filter: { $or: [] } }),
          400,
          "filter.$or",
        ],
        [
          "POST",
          `${base}/search`,
          JSON.stringify({ vector: [1, 2, 3], consistency: "session" }),
          400,
          "write_token",
        ],
        [
          "POST",
          `${base}/search`,
          JSON.stringify({ vector: [1, 2, 3], consistency: "session", write_token: "nope" }),
          400,
          "write_token",
        ],
        [
          "POST",
          `${base}/search`,
          JSON.stringify({ vector: [1, 2, 3], rerank_top_k: 2, k: 5 }),
          400,
          "rerank_top_k",
        ],
        ["POST", `/v1/libraries`, JSON.stringify({ name: "x" }), 400, "dimension"],
        [
          "POST",
          `/v1/libraries`,
          JSON.stringify({ name: "x", dimension: 3, metric: "hamming" }),
          400,
          "metric",
        ],
        ["GET", `${base}/vectors/absent`, undefined, 404, "absent"],
        ["DELETE", `/v1/libraries/lib_missing`, undefined, 404, "lib_missing"],
      ];
      for (const [method, path, body, status, field] of cases) {
        const answer = await raw(method, path, body);
        expect(answer.status, `${method} ${path} ${body?.slice(0, 80)}`).toBe(status);
        expect(answer.body.error.message, `${method} ${path}`).toContain(field);
      }
      const oversize = await postOversize(`${deployment.url}${base}/vectors`, 65 * 1024 * 1024);
      expect(oversize.status).toBe(413);
      expect(oversize.body).toContain("body");
      expect(await observe(client)).toBe(before);
    });

    it("a fuzz run of 500 generated bad requests sees no 5xx and no change of state", async () => {
      const lib = await client.createLibrary({ name: "fuzzed", dimension: 4 });
      await client.upsert(lib.id, [{ id: "one", vector: [1, 0, 0, 0] }], { wait: true });
      const before = await observe(client);
      const rng = new Rng(2026);
      const statuses = new Map<number, number>();
      for (let i = 0; i < 500; i++) {
        const request = badRequest(rng, lib);
        const res = await fetch(`${deployment.url}${request.path}`, {
          method: request.method,
          headers: { "content-type": "application/json" },
          body: request.body,
        });
        const text = await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(
          res.status,
          `${request.method} ${request.path} ${request.body?.slice(0, 120)}: ${text}`,
        ).toBeGreaterThanOrEqual(400);
        expect(
          res.status,
          `${request.method} ${request.path} ${request.body?.slice(0, 120)}: ${text}`,
        ).toBeLessThan(500);
        expect(JSON.parse(text).error.message).toBeTypeOf("string");
      }
      expect(await observe(client)).toBe(before);
    });

    it("reports statistics: vectors, state, bytes by component and savings against float32", async () => {
      const dim = 64;
      const data = randomVectors(1500, dim, 12);
      const rows = Array.from({ length: 1500 }, (_, i) => ({
        id: `m${i}`,
        vector: data.subarray(i * dim, (i + 1) * dim),
      }));
      const plain = await client.createLibrary({ name: "stats-none", dimension: dim });
      await client.upsert(plain.id, rows, { wait: true });
      const none = await client.statistics(plain.id);
      expect(none).toMatchObject({ library_id: plain.id, num_vectors: 1500, state: "serving" });
      expect(none.memory_usage.bytes.codes).toBeGreaterThanOrEqual(1500 * dim * 4);
      expect(none.memory_usage.bytes.graph).toBeGreaterThan(0);
      expect(none.memory_usage.savings_vs_float32_ratio).toBeLessThanOrEqual(0);
      const partitions = Math.min(2, deployment.maxPartitions);
      const scalar = await client.createLibrary({
        name: "stats-scalar",
        dimension: dim,
        partitions,
        quantization_config: { strategy: "scalar", calibration_samples: 1000 },
      });
      await client.upsert(scalar.id, rows.slice(0, 500), { wait: true });
      const collecting = await client.statistics(scalar.id);
      expect(collecting).toMatchObject({ state: "training", quantization: { training: null } });
      // the sample is the library's: 1,500 vectors train it, over however many partitions
      await client.upsert(scalar.id, rows.slice(500), { wait: true });
      const trained = await untilServing(client, scalar.id);
      expect(trained).toMatchObject({ num_vectors: 1500, state: "serving" });
      const training = trained.quantization.training;
      expect(training).toMatchObject({ sample_size: 1000 });
      // every partition runs the one quantizer trained for the library
      expect(trained.partitions).toHaveLength(partitions);
      for (const p of trained.partitions) {
        expect(p).toMatchObject({ phase: "quantized", training_id: training?.training_id });
      }
      expect(trained.memory_usage.savings_vs_float32_ratio).toBeGreaterThan(0.5);
      expect(trained.memory_usage.bytes.codes).toBeLessThan(none.memory_usage.bytes.codes / 2);
      expect(trained.memory_usage.savings_vs_float32).toMatch(/^\d+%$/);
      expect(trained.memory_usage.total).toMatch(/B$/);
    });

    it("measures recall on demand, and reports it in the statistics and the metrics", async () => {
      const dim = 16;
      const count = 800; // below the background probe's minimum: only this test measures it
      const data = randomVectors(count, dim, 31);
      const rows = Array.from({ length: count }, (_, i) => ({
        id: `r${i}`,
        vector: data.subarray(i * dim, (i + 1) * dim),
      }));
      const product = await client.createLibrary({
        name: "probe-pq",
        dimension: dim,
        partitions: Math.min(2, deployment.maxPartitions),
        quantization_config: { strategy: "product", subvectors: 2, training_samples: 300 },
      });
      expect((await client.statistics(product.id)).quantization.accuracy_metrics).toBeNull();
      await expectApiError(client.probeRecall(product.id), 409, "at least 2");
      await client.upsert(product.id, rows, { wait: true });
      await untilServing(client, product.id);
      const measured = await client.probeRecall(product.id, { sampleSize: 100 });
      expect(measured).toMatchObject({
        library_id: product.id,
        sample_size: 100,
        num_vectors: count,
        strategy: "product",
      });
      // 2 codes of 8 dimensions each lose neighbours; at 100 of 799 the sets overlap more
      expect(measured.recall_at_10).toBeGreaterThan(0.05);
      expect(measured.recall_at_10).toBeLessThan(0.95);
      expect(measured.recall_at_100).toBeGreaterThan(measured.recall_at_10);
      expect(measured.recall_at_100).toBeLessThanOrEqual(1);
      expect(Date.parse(measured.measured_at)).toBeGreaterThan(Date.now() - 60_000);
      expect(measured.duration_ms).toBeGreaterThanOrEqual(0);
      const stats = await client.statistics(product.id);
      expect(stats.quantization.accuracy_metrics).toEqual({
        "recall@10": measured.recall_at_10,
        "recall@100": measured.recall_at_100,
        sample_size: 100,
        measured_at: measured.measured_at,
        duration_ms: measured.duration_ms,
        strategy: "product",
      });
      // a seed draws the same queries again: the same figures
      const seeded = await client.probeRecall(product.id, { sampleSize: 50, seed: 5 });
      expect(await client.probeRecall(product.id, { sampleSize: 50, seed: 5 })).toMatchObject({
        recall_at_10: seeded.recall_at_10,
        recall_at_100: seeded.recall_at_100,
      });
      const latest = (await client.statistics(product.id)).quantization.accuracy_metrics;
      expect(latest?.sample_size).toBe(50);
      const metrics = await (await fetch(`${deployment.url}/metrics`)).text();
      const gauge = (name: string, labels: string) =>
        Number(metrics.match(new RegExp(`^${name}\\{${labels}\\} (\\S+)$`, "m"))?.[1]);
      const at10 = gauge("quiver_library_recall", `library_id="${product.id}",k="10"`);
      expect(at10).toBeCloseTo(seeded.recall_at_10, 10);
      expect(gauge("quiver_library_recall", `library_id="${product.id}",k="100"`)).toBeCloseTo(
        seeded.recall_at_100,
        10,
      );
      expect(gauge("quiver_library_recall_sample_size", `library_id="${product.id}"`)).toBe(50);
      expect(
        gauge("quiver_library_recall_measured_timestamp_seconds", `library_id="${product.id}"`),
      ).toBeCloseTo(Date.parse(latest?.measured_at as string) / 1000, 2);

      // float32 HNSW over so few vectors finds (nearly) every neighbour; the sample is capped
      const plain = await client.createLibrary({ name: "probe-none", dimension: dim });
      await client.upsert(plain.id, rows, { wait: true });
      const exact = await client.probeRecall(plain.id, { sampleSize: 2000 });
      expect(exact.sample_size).toBe(count);
      expect(exact.recall_at_10).toBeGreaterThan(0.98);
      expect(exact.recall_at_100).toBeGreaterThan(0.98);
    });

    it("rejects a bad probe request with a 4xx naming the field", async () => {
      const lib = await client.createLibrary({ name: "probe-bad", dimension: 4 });
      const post = (body: string) =>
        fetch(`${deployment.url}/v1/libraries/${lib.id}/quantization/probe`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        });
      for (const body of [
        { sample_size: 0 },
        { sample_size: 2001 },
        { sample_size: "10" },
        { sample_size: 1.5 },
        { seed: -1 },
        { sample_size: 10, seed: "x" },
      ]) {
        const res = await post(JSON.stringify(body));
        expect(res.status).toBe(400);
        const error = ((await res.json()) as { error: { message: string; details: object } }).error;
        const field = "seed" in body ? "seed" : "sample_size";
        expect(error.message).toContain(field);
        expect(error.details).toMatchObject({ field });
      }
      const extra = await post(JSON.stringify({ samples: 10 }));
      expect(extra.status).toBe(400);
      await expectApiError(client.probeRecall("lib_missing"), 404);
    });

    it("reranks hybrid searches through a float32 cache whose bytes and hit ratio the statistics report", async () => {
      const dim = 32;
      const count = 1200;
      const data = randomVectors(count, dim, 31);
      const lib = await client.createLibrary({
        name: "stats-hybrid",
        dimension: dim,
        partitions: Math.min(2, deployment.maxPartitions),
        quantization_config: {
          strategy: "hybrid",
          initial_search: "scalar",
          calibration_samples: 200,
          rerank_top_k: 50,
          float32_cache_mb: 1,
        },
      });
      expect(lib.quantization_config).toMatchObject({ float32_cache_mb: 1 });
      await client.upsert(
        lib.id,
        Array.from({ length: count }, (_, i) => ({
          id: `h${i}`,
          vector: data.subarray(i * dim, (i + 1) * dim),
        })),
        { wait: true },
      );
      const before = await untilServing(client, lib.id);
      expect(before.float32_cache).toMatchObject({ hits: 0, misses: 0, hit_ratio: null });
      const queries = randomVectors(10, dim, 32);
      const round = async () => {
        let found = 0;
        for (let q = 0; q < 10; q++) {
          const query = queries.subarray(q * dim, (q + 1) * dim);
          const want = exactTopK(data, dim, query, 10).map((i) => `h${i}`);
          const r = await client.search(lib.id, query, { k: 10 });
          found += r.results.filter((h) => want.includes(h.id)).length;
        }
        expect(found / 100).toBeGreaterThanOrEqual(0.9);
        return client.statistics(lib.id);
      };
      const first = await round();
      const second = await round();
      const cache1 = first.float32_cache;
      const cache2 = second.float32_cache;
      if (!cache1 || !cache2) throw new Error("a hybrid library reports its float32 cache");
      expect(cache1.capacity_bytes).toBeGreaterThan(900_000);
      expect(cache1.capacity_bytes).toBeLessThanOrEqual(1_000_000);
      expect(cache1.misses).toBeGreaterThan(0);
      expect(cache1.bytes).toBeGreaterThan(0);
      expect(first.memory_usage.bytes.float32_cache).toBe(cache1.bytes);
      expect(cache1.hit_ratio).toBeLessThan(1);
      // the same queries again read the same candidates: all hits, the ratio grows
      expect(cache2.misses).toBe(cache1.misses);
      expect(cache2.hits).toBeGreaterThan(cache1.hits);
      expect(cache2.hit_ratio ?? 0).toBeGreaterThan(cache1.hit_ratio ?? 0);
      // a rewritten vector is reranked with its new value, not the cached one
      const moved = queries.subarray(0, dim);
      await client.upsert(lib.id, [{ id: "h0", vector: moved }], { wait: true });
      const hit = await client.search(lib.id, moved, { k: 1 });
      expect(hit.results[0]).toMatchObject({ id: "h0" });
      expect(hit.results[0].distance).toBeCloseTo(0, 4);
      const plain = await client.createLibrary({ name: "stats-no-cache", dimension: dim });
      expect((await client.statistics(plain.id)).float32_cache).toBeNull();
    });

    it("serves an OpenAPI document, health and metrics", async () => {
      const doc = (await (await fetch(`${deployment.url}/openapi.json`)).json()) as {
        paths: Record<string, unknown>;
      };
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining([
          "/v1/libraries",
          "/v1/libraries/{id}/search",
          "/v1/libraries/{id}/quantization/probe",
        ]),
      );
      expect((await fetch(`${deployment.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${deployment.url}/readyz`)).status).toBe(200);
      const metrics = await (await fetch(`${deployment.url}/metrics`)).text();
      expect(metrics).toContain("quiver_http_request_duration_seconds");
    });
  });
}

/**
 * Announces a body of `bytes` bytes (content-length) and sends none of it: the server must refuse
 * it from the header, with a 413, without reading it. (Sending it races the server closing the
 * connection: the client sees a broken pipe instead of the answer.)
 */
function postOversize(url: string, bytes: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": bytes },
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error("no answer to an oversize content-length within 10 s"));
    }, 10_000);
    req.on("response", (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on("error", () => undefined); // the destroy after the answer
    req.flushHeaders();
  });
}

interface BadRequest {
  method: string;
  path: string;
  body?: string;
}

/** A generated request that is wrong in one way (body, field, value, path or filter). */
function badRequest(rng: Rng, lib: LibraryResponse): BadRequest {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rng.next() * xs.length)];
  const base = `/v1/libraries/${lib.id}`;
  const junk = () =>
    pick<unknown>([null, "x", -1, 0, 1.5, 1e308, [], {}, [1, "a"], { $gt: [] }, true, "", "NaN"]);
  const validVector = [0.1, 0.2, 0.3, 0.4];
  const kind = Math.floor(rng.next() * 10);
  switch (kind) {
    case 0: {
      const text = JSON.stringify({ vectors: [{ id: "z", vector: validVector }] });
      const cut = Math.max(1, Math.floor(rng.next() * (text.length - 1)));
      return { method: "POST", path: `${base}/vectors`, body: text.slice(0, cut) };
    }
    case 1:
      return {
        method: "POST",
        path: `${base}/vectors`,
        body: JSON.stringify({
          vectors: [{ id: "z", vector: Array.from({ length: pick([0, 1, 3, 5, 100]) }, () => 1) }],
        }),
      };
    case 2:
      return {
        method: "POST",
        path: `${base}/vectors`,
        body: JSON.stringify({
          vectors: [
            { id: pick<unknown>([null, [], "", 5, {}, "x".repeat(300)]), vector: validVector },
          ],
        }),
      };
    case 3: {
      const field = pick([
        "k",
        "ef",
        "rerank_top_k",
        "consistency",
        "include_metadata",
        "timeout_ms",
        "allow_partial",
      ]);
      let value = junk();
      if (
        (field === "k" || field === "ef" || field === "rerank_top_k") &&
        typeof value === "number" &&
        value >= 1 &&
        Number.isInteger(value)
      )
        value = 0;
      if (typeof value === "boolean" && (field === "include_metadata" || field === "allow_partial"))
        value = "yes";
      return {
        method: "POST",
        path: `${base}/search`,
        body: JSON.stringify({ vector: validVector, [field]: value }),
      };
    }
    case 4: {
      const filters = [
        { a: { $bogus: 1 } },
        { $and: {} },
        { $or: [1] },
        { a: { $in: "x" } },
        { a: { $gt: true } },
        { a: { $exists: 1 } },
        { a: [1, 2] },
        { a: { b: 1 } },
        { $not: [] },
        { a: {} },
        { $nor: [] },
        { a: { $in: [{}] } },
      ];
      return {
        method: "POST",
        path: `${base}/search`,
        body: JSON.stringify({ vector: validVector, filter: pick(filters) }),
      };
    }
    case 5:
      return {
        method: "POST",
        path: `/v1/libraries/lib_${Math.floor(rng.next() * 1e9)}/${pick(["search", "vectors"])}`,
        body: JSON.stringify({ vector: validVector, vectors: [{ id: "a", vector: validVector }] }),
      };
    case 6:
      return {
        method: "POST",
        path: "/v1/libraries",
        body: JSON.stringify({
          name: pick(["", "has space", "ok", "x".repeat(200)]),
          dimension: pick([0, -3, 1.5, "8", 100_000, null]),
          quantization_config: pick([
            { strategy: "magic" },
            { strategy: "product", subvectors: 3 },
            "scalar",
            null,
          ]),
        }),
      };
    case 7:
      return {
        method: "POST",
        path: `${base}/vectors`,
        body: pick([
          '{"vectors":[{"id":"a","vector":[1,2,3,Infinity]}]}',
          '{"vectors":[{"id":"a","vector":[1e39,0,0,0]}]}',
          '{"vectors":[{"id":"a","vector":[1,2,3,4]},{"id":"a","vector":[1,2,3,4]}]}',
          '{"vectors":"all"}',
          "[]",
          '{"vectors":[{"id":"a","vector":[1,2,3,4],"metadata":"m"}]}',
          '{"vectors":[{"id":"a","vector":[1,2,3,4]}],"wait":"yes"}',
        ]),
      };
    case 8:
      return {
        method: "POST",
        path: `${base}/search`,
        body: JSON.stringify(
          pick([
            { vector: validVector, vectors: [validVector] },
            { vectors: [] },
            { vectors: [validVector, [1, 2]] },
            { vector: validVector, consistency: "session", write_token: `v1.${"x".repeat(20)}` },
            { vector: validVector, unknown_option: 1 },
          ]),
        ),
      };
    default:
      return rng.next() < 0.5
        ? {
            method: "GET",
            path: `${base}/vectors/${pick(["missing", "gone?consistency=always", "x?write_token=1"])}`,
          }
        : {
            method: "DELETE",
            path: `${base}/vectors/missing${pick(["?wait=maybe", "?wait=2", "?other=1"])}`,
          };
  }
}
