/** Vectors for tests and benchmarks: a base set to index and queries to search for. */
export interface Dataset {
  name: string;
  dim: number;
  metric: "l2" | "cosine" | "dot";
  /** baseCount * dim values, row by row. */
  base: Float32Array;
  baseCount: number;
  queries: Float32Array;
  queryCount: number;
}

/** Row `i` of a row-major matrix of `dim` columns (a view, not a copy). */
export function row(matrix: Float32Array, dim: number, i: number): Float32Array {
  return matrix.subarray(i * dim, (i + 1) * dim);
}

/** The first `baseCount` base vectors and `queryCount` queries of `data`. */
export function subset(data: Dataset, baseCount: number, queryCount: number): Dataset {
  const b = Math.min(baseCount, data.baseCount);
  const q = Math.min(queryCount, data.queryCount);
  return {
    ...data,
    name: `${data.name}[${b}x${q}]`,
    base: data.base.subarray(0, b * data.dim),
    baseCount: b,
    queries: data.queries.subarray(0, q * data.dim),
    queryCount: q,
  };
}

/** The same vectors scaled to unit length, searched by cosine. */
export function normalized(data: Dataset): Dataset {
  const unit = (m: Float32Array): Float32Array => {
    const out = new Float32Array(m.length);
    for (let at = 0; at < m.length; at += data.dim) {
      let s = 0;
      for (let d = 0; d < data.dim; d++) s += m[at + d] * m[at + d];
      const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
      for (let d = 0; d < data.dim; d++) out[at + d] = m[at + d] * inv;
    }
    return out;
  };
  return {
    ...data,
    name: `${data.name}-cosine`,
    metric: "cosine",
    base: unit(data.base),
    queries: unit(data.queries),
  };
}
