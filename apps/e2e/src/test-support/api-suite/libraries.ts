import { expect, it } from "vitest";
import { type ApiSuiteContext, expectApiError, observe } from "./context.js";

/** Libraries: create, list, get and delete; invalid configs refused. */
export function defineLibraryTests(suite: ApiSuiteContext): void {
  it("creates, lists, gets and deletes libraries; create returns the quantization summary", async () => {
    const { client } = suite;
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
    const { client, deployment } = suite;
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
}
