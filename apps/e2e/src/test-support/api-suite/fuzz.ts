import type { LibraryResponse } from "@quiver/api";
import { Rng } from "@quiver/engine";
import { expect, it } from "vitest";
import { type ApiSuiteContext, observe } from "./context.js";

/** Generated bad requests: never a 5xx, never a change of state. */
export function defineFuzzTests(suite: ApiSuiteContext): void {
  it("a fuzz run of 500 generated bad requests sees no 5xx and no change of state", async () => {
    const { client, deployment } = suite;
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
