import { type MigrationResponse, QuiverClient } from "@quiver/api";
import { followMigration, isSorted, randomVectors } from "@quiver/cli/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiError, type Deployment } from "./api-suite/context.js";

/** Migrations through the API: run against embedded mode and a local cluster. */
export function defineMigrationSuite(name: string, start: () => Promise<Deployment>): void {
  describe(`quantization migrations (${name})`, () => {
    let deployment: Deployment;
    let client: QuiverClient;
    const dim = 16;
    const count = 3000;
    const data = randomVectors(count, dim, 31);
    const vectorOf = (i: number) => Array.from(data.subarray(i * dim, (i + 1) * dim));

    beforeAll(async () => {
      deployment = await start();
      client = new QuiverClient({ url: deployment.url });
    });
    afterAll(async () => deployment?.close());

    it("migrates none -> scalar while searches go on, then a cancel keeps the old config", async () => {
      const lib = await client.createLibrary({
        name: "migrating",
        dimension: dim,
        partitions: deployment.maxPartitions,
      });
      for (let i = 0; i < count; i += 1000) {
        const rows = Array.from({ length: 1000 }, (_, j) => ({
          id: `v${i + j}`,
          vector: vectorOf(i + j),
        }));
        await client.upsert(lib.id, rows, { wait: true });
      }
      const started = await client.migrate(lib.id, {
        quantization_config: { strategy: "scalar", calibration_samples: 200 },
      });
      expect(started).toMatchObject({ status: "in_progress", library_id: lib.id });
      expect(started.migration_id).toMatch(/^mig_/);
      expect(started.to).toMatchObject({ strategy: "scalar", bits: 8 });
      // one migration at a time
      expect((await apiError(client.migrate(lib.id, { new_strategy: "product" }))).status).toBe(
        409,
      );
      let searches = 0;
      let searching = true;
      const load = (async () => {
        while (searching) {
          const i = searches % count;
          const found = await client.search(lib.id, vectorOf(i), { k: 5 });
          expect(found.results[0]?.id).toBe(`v${i}`);
          searches++;
        }
      })();
      const { last, progress } = await followMigration(
        client,
        lib.id,
        started.migration_id,
        (m) => m.status !== "in_progress",
      );
      searching = false;
      await load;
      expect(last.status).toBe("completed");
      expect(last.progress).toBe(1);
      expect(isSorted(progress)).toBe(true);
      expect(last.partitions.every((p) => p.state === "switched")).toBe(true);
      expect(searches).toBeGreaterThan(0);
      const library = await client.getLibrary(lib.id);
      expect(library.quantization_config).toMatchObject({ strategy: "scalar" });
      expect(library.num_vectors).toBe(count);
      const stats = await client.statistics(lib.id);
      expect(stats.state).toBe("serving");
      expect(stats.partitions.every((p) => p.phase === "quantized")).toBe(true);
      expect(stats.memory_usage.bytes.codes).toBeLessThan(count * dim * 4);

      // a cancelled migration leaves the library on its config, whatever had switched
      const res = await fetch(`${deployment.url}/v1/libraries/${lib.id}/quantization/migrate`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ new_strategy: "none" }),
      });
      expect(res.status).toBe(202);
      const cancelled = (await res.json()) as MigrationResponse;
      // the body and the Location header both say where to follow the migration
      expect(cancelled.url).toBe(
        `/v1/libraries/${lib.id}/quantization/migrations/${cancelled.migration_id}`,
      );
      expect(res.headers.get("location")).toBe(cancelled.url);
      expect((await client.migration(lib.id, cancelled.migration_id)).url).toBe(cancelled.url);
      await client.cancelMigration(lib.id, cancelled.migration_id);
      const after = await followMigration(client, lib.id, cancelled.migration_id, (m) =>
        m.partitions.every((p) => ["abandoned", "rolled_back"].includes(p.state)),
      );
      expect(after.last.status).toBe("cancelled");
      expect((await client.getLibrary(lib.id)).quantization_config).toMatchObject({
        strategy: "scalar",
      });
      const statsAfter = await client.statistics(lib.id);
      expect(statsAfter.partitions.every((p) => p.phase === "quantized")).toBe(true);
      expect((await client.search(lib.id, vectorOf(7), { k: 1 })).results[0].id).toBe("v7");
      const history = await client.migrations(lib.id);
      expect(history.map((m) => m.status)).toEqual(["completed", "cancelled"]);
      expect((await apiError(client.cancelMigration(lib.id, cancelled.migration_id))).status).toBe(
        409,
      );
    });

    it("rejects bad migrate requests with a 4xx naming the field", async () => {
      const lib = await client.createLibrary({ name: "migrate-bad", dimension: dim });
      const cases: [Parameters<QuiverClient["migrate"]>[1], number, string][] = [
        [{}, 400, "new_strategy"],
        [{ new_strategy: "float16" }, 400, "new_strategy"],
        [{ new_strategy: "none" }, 400, "new_strategy"],
        [{ new_strategy: "scalar", preserve_data: false }, 400, "preserve_data"],
        [
          { new_strategy: "scalar", quantization_config: { strategy: "product" } },
          400,
          "new_strategy",
        ],
        [
          { quantization_config: { strategy: "product", subvectors: 5 } },
          400,
          "quantization_config.subvectors",
        ],
      ];
      for (const [body, status, field] of cases) {
        const error = await apiError(client.migrate(lib.id, body));
        expect(error.status, JSON.stringify(body)).toBe(status);
        expect(error.message, JSON.stringify(body)).toContain(field);
      }
      expect((await apiError(client.migration(lib.id, "mig_nope"))).status).toBe(404);
      expect((await apiError(client.migrate("lib_nope", { new_strategy: "scalar" }))).status).toBe(
        404,
      );
      expect(await client.migrations(lib.id)).toEqual([]);
    });
  });
}
