import { decodeEvent, partitionOf } from "@quiver/events";
import { describe, expect, it } from "vitest";
import { prepareUpsert } from "./prepare-upsert.js";

const target = { libraryId: "lib_1", dimension: 4, partitions: 3 };
const bytes = (body: unknown) => new TextEncoder().encode(JSON.stringify(body));
const vectors = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `v${i}`, vector: [i, 1, 2, 3], metadata: { i } }));

describe("prepareUpsert", () => {
  it("groups the vectors by partition into events, in order, every vector once", () => {
    const prepared = prepareUpsert(bytes({ vectors: vectors(50), wait: true }), target, undefined);
    if (!prepared.ok) throw new Error(prepared.error.message);
    expect(prepared).toMatchObject({ count: 50, wait: true });
    const seen: string[] = [];
    for (const e of prepared.events) {
      const event = decodeEvent(e.data);
      if (event.type !== "vectors.upserted") throw new Error(event.type);
      for (const [i, id] of event.ids.entries()) {
        expect(partitionOf("lib_1", id, 3)).toBe(e.partition);
        expect(event.vectors[i * 4]).toBe(Number(id.slice(1)));
        expect(event.metadata[i]).toEqual({ i: Number(id.slice(1)) });
        seen.push(id);
      }
    }
    expect(seen.sort()).toEqual(
      vectors(50)
        .map((v) => v.id)
        .sort(),
    );
  });

  it("derives the events' message ids from the Idempotency-Key and the content", () => {
    const ids = (body: unknown, key?: string) => {
      const p = prepareUpsert(bytes(body), target, key);
      return p.ok ? p.events.map((e) => e.msgId) : [];
    };
    const body = { vectors: vectors(10) };
    expect(ids(body, "k1")).toEqual(ids(body, "k1"));
    expect(ids(body, "k1")).not.toEqual(ids({ vectors: vectors(11) }, "k1"));
    expect(ids(body)).not.toEqual(ids(body));
  });

  it("cuts a partition's vectors into events under the log's message size", () => {
    const big = { libraryId: "lib_1", dimension: 1024, partitions: 1 };
    const rows = Array.from({ length: 400 }, (_, i) => ({
      id: `b${i}`,
      vector: Array(1024).fill(i),
    }));
    const prepared = prepareUpsert(bytes({ vectors: rows }), big, undefined);
    if (!prepared.ok) throw new Error(prepared.error.message);
    expect(prepared.events.length).toBeGreaterThan(1);
    for (const e of prepared.events) expect(e.data.byteLength).toBeLessThan(800 * 1024);
  });

  it("answers the 4xx that names the field, for each kind of bad body", () => {
    const error = (body: unknown) => {
      const p = prepareUpsert(
        typeof body === "string" ? new TextEncoder().encode(body) : bytes(body),
        target,
        undefined,
      );
      return p.ok ? undefined : { status: p.status, code: p.error.code, message: p.error.message };
    };
    expect(error("{not json")).toMatchObject({ status: 400, code: "MALFORMED_JSON" });
    expect(error({ vectors: [] })?.message).toMatch(/^vectors /);
    expect(error({ vectors: [{ id: "a", vector: [1, 2, "3", 4] }] })?.message).toBe(
      "vectors[0].vector[2] must be number",
    );
    expect(error({ vectors: [{ id: "a", vector: [1, 2, 3] }] })).toMatchObject({
      code: "DIMENSION_MISMATCH",
      message: "vectors[0].vector has 3 values; library lib_1 has dimension 4",
    });
    expect(error({ vectors: [{ id: "a", vector: [1, 2, 3, 1e39] }] })?.message).toBe(
      "vectors[0].vector[3] must be a finite float32",
    );
    expect(error({ vectors: [...vectors(2), vectors(1)[0]] })?.message).toMatch(
      /^vectors\[2\]\.id repeats id v0/,
    );
    expect(error({ vectors: vectors(1), extra: 1 })?.message).toBe("extra is not a known field");
  });
});
