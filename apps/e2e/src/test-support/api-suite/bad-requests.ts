import { request } from "node:http";
import { expect, it } from "vitest";
import { type ApiSuiteContext, observe } from "./context.js";

/** Bad requests, one by one: a 4xx naming the field (413 for an oversize body), and no change. */
export function defineBadRequestTests(suite: ApiSuiteContext): void {
  it("rejects bad requests with a 4xx naming the field and changes nothing", async () => {
    const { client, deployment } = suite;
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
