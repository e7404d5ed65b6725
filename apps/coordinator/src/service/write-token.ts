import { ApiErrorCode, invalidField } from "@quiver/api";

/**
 * A write token: per partition of a library, the log sequence a write reached. A search with
 * consistency "session" and the token waits until each of those partitions has applied it.
 * Tokens merge (the larger sequence wins), so a session can carry one token for all its writes.
 * Opaque to clients: "v1." + base64url of JSON.
 */
export interface WriteToken {
  libraryId: string;
  seqs: Record<number, number>;
}

export function encodeWriteToken(token: WriteToken): string {
  return `v1.${Buffer.from(JSON.stringify({ l: token.libraryId, s: token.seqs })).toString("base64url")}`;
}

export function decodeWriteToken(text: string, field = "write_token"): WriteToken {
  const bad = () =>
    invalidField(field, "is not a write token returned by a write", ApiErrorCode.InvalidWriteToken);
  if (!text.startsWith("v1.")) throw bad();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text.slice(3), "base64url").toString("utf8"));
  } catch {
    throw bad();
  }
  const p = parsed as { l?: unknown; s?: unknown };
  if (typeof p?.l !== "string" || typeof p.s !== "object" || p.s === null) throw bad();
  const seqs: Record<number, number> = {};
  for (const [k, v] of Object.entries(p.s as Record<string, unknown>)) {
    const partition = Number(k);
    if (!Number.isInteger(partition) || partition < 0 || !Number.isInteger(v) || (v as number) < 0)
      throw bad();
    seqs[partition] = v as number;
  }
  return { libraryId: p.l, seqs };
}

export function mergeWriteTokens(a: WriteToken, b: WriteToken): WriteToken {
  const seqs = { ...a.seqs };
  for (const [p, seq] of Object.entries(b.seqs))
    seqs[Number(p)] = Math.max(seqs[Number(p)] ?? 0, seq);
  return { libraryId: a.libraryId, seqs };
}
