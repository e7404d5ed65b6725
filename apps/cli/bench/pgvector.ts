// pgvector's side of bench:service: the table and its two HNSW indexes (vector and halfvec), and
// closed-loop searches from N client connections (node-postgres, one prepared statement each).
import type { Dataset } from "@quiver/testing";
import pg from "pg";
import type { Postgres } from "./postgres.js";

export type PgKind = "float32" | "halfvec";

export interface PgBuild {
  load_s: number;
  index_build_s: Record<PgKind, number>;
  index_bytes: Record<PgKind, number>;
  table_bytes: number;
  server_version: string;
  vector_version: string;
}

function connect(pgServer: Postgres): Promise<pg.Client> {
  const client = new pg.Client({
    host: pgServer.host,
    port: pgServer.port,
    user: pgServer.user,
    database: "postgres",
  });
  return client.connect().then(() => client);
}

/** `[1,2,3]`: pgvector's text form (also halfvec's). */
export function vectorText(v: ArrayLike<number>): string {
  return `[${Array.prototype.join.call(v, ",")}]`;
}

const QUERY: Record<PgKind, string> = {
  float32: "SELECT id FROM items ORDER BY embedding <-> $1::vector LIMIT $2",
  halfvec: "SELECT id FROM items ORDER BY embedding::halfvec(DIM) <-> $1::halfvec(DIM) LIMIT $2",
};

function queryText(kind: PgKind, dim: number): string {
  return QUERY[kind].replaceAll("DIM", String(dim));
}

/** Loads the base vectors as rows (id = row number) and builds both HNSW indexes. */
export async function buildPgvector(
  pgServer: Postgres,
  data: Dataset,
  hnsw: { m: number; ef_construction: number },
): Promise<PgBuild> {
  const c = await connect(pgServer);
  try {
    await c.query("CREATE EXTENSION IF NOT EXISTS vector");
    await c.query(`CREATE TABLE items (id integer PRIMARY KEY, embedding vector(${data.dim}))`);
    const t0 = performance.now();
    const batch = 250;
    for (let start = 0; start < data.baseCount; start += batch) {
      const end = Math.min(data.baseCount, start + batch);
      const params: (number | string)[] = [];
      const tuples: string[] = [];
      for (let i = start; i < end; i++) {
        tuples.push(`($${params.length + 1}, $${params.length + 2})`);
        params.push(i, vectorText(data.base.subarray(i * data.dim, (i + 1) * data.dim)));
      }
      await c.query(`INSERT INTO items (id, embedding) VALUES ${tuples.join(",")}`, params);
    }
    await c.query("VACUUM ANALYZE items");
    const loadS = (performance.now() - t0) / 1000;
    const with_ = `WITH (m = ${hnsw.m}, ef_construction = ${hnsw.ef_construction})`;
    const t1 = performance.now();
    await c.query(`CREATE INDEX items_f32 ON items USING hnsw (embedding vector_l2_ops) ${with_}`);
    const t2 = performance.now();
    await c.query(
      `CREATE INDEX items_half ON items USING hnsw ((embedding::halfvec(${data.dim})) halfvec_l2_ops) ${with_}`,
    );
    const t3 = performance.now();
    const sizes = await c.query(
      "SELECT pg_relation_size('items_f32') AS f32, pg_relation_size('items_half') AS half, pg_total_relation_size('items') - pg_indexes_size('items') AS heap",
    );
    const version = await c.query(
      "SELECT current_setting('server_version') AS v, (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS e",
    );
    // Each plan must use its index (a sequential scan would be exact and slow).
    for (const kind of ["float32", "halfvec"] as PgKind[]) {
      const plan = await c.query(
        `EXPLAIN ${queryText(kind, data.dim)
          .replace("$1", `'${vectorText(data.queries.subarray(0, data.dim))}'`)
          .replace("$2", "10")}`,
      );
      const text = plan.rows.map((r: Record<string, string>) => Object.values(r)[0]).join("\n");
      const want = kind === "float32" ? "items_f32" : "items_half";
      if (!text.includes(want))
        throw new Error(`pgvector ${kind}: the plan does not use ${want}:\n${text}`);
    }
    const s = sizes.rows[0] as Record<string, string>;
    return {
      load_s: loadS,
      index_build_s: { float32: (t2 - t1) / 1000, halfvec: (t3 - t2) / 1000 },
      index_bytes: { float32: Number(s.f32), halfvec: Number(s.half) },
      table_bytes: Number(s.heap),
      server_version: (version.rows[0] as Record<string, string>).v,
      vector_version: (version.rows[0] as Record<string, string>).e,
    };
  } finally {
    await c.end();
  }
}

/** N connections, each with `hnsw.ef_search` set and the search prepared (by name). */
export class PgClients {
  private constructor(
    private readonly clients: pg.Client[],
    private readonly dim: number,
  ) {}

  static async open(pgServer: Postgres, connections: number, dim: number): Promise<PgClients> {
    const clients = await Promise.all(Array.from({ length: connections }, () => connect(pgServer)));
    return new PgClients(clients, dim);
  }

  get size(): number {
    return this.clients.length;
  }

  async setEf(ef: number): Promise<void> {
    await Promise.all(this.clients.map((c) => c.query(`SET hnsw.ef_search = ${Math.floor(ef)}`)));
  }

  /** The k nearest ids of one query text on connection `i`. */
  async search(i: number, kind: PgKind, query: string, k: number): Promise<number[]> {
    const r = await this.clients[i].query({
      name: `knn_${kind}`,
      text: queryText(kind, this.dim),
      values: [query, k],
      rowMode: "array",
    });
    return r.rows.map((row: unknown[]) => row[0] as number);
  }

  /** `SELECT 1` on connection `i`: the round trip without a search. */
  async ping(i: number): Promise<void> {
    await this.clients[i].query({ name: "ping", text: "SELECT 1", rowMode: "array" });
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.end()));
  }
}

export interface LoopResult {
  requests: number;
  seconds: number;
  latencies_ms: number[];
  errors: number;
}

/**
 * A closed loop: `connections` workers each send one request, await it, send the next, for
 * `durationS`; requests take the queries in turn (one counter shared by all workers).
 */
export async function closedLoop(
  connections: number,
  durationS: number,
  request: (worker: number, n: number) => Promise<unknown>,
): Promise<LoopResult> {
  const latencies: number[] = [];
  let n = 0;
  let errors = 0;
  const started = performance.now();
  const end = started + durationS * 1000;
  await Promise.all(
    Array.from({ length: connections }, async (_, worker) => {
      while (performance.now() < end) {
        const t = performance.now();
        try {
          await request(worker, n++);
          latencies.push(performance.now() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  return {
    requests: latencies.length,
    seconds: (performance.now() - started) / 1000,
    latencies_ms: latencies,
    errors,
  };
}
