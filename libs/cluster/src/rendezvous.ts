/** FNV-1a of a string, then a final avalanche (murmur3's fmix32) so close inputs spread. */
function score(member: string, partition: number): number {
  let h = 0x811c9dc5;
  const text = `${member}\u0000${partition}`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The owners of a partition by rendezvous (highest random weight) hashing: the `replicas` members
 * with the highest score for it, best first. Every process computes the same answer from the
 * same member list, and a member joining or leaving moves only the partitions it wins or held.
 */
export function owners(partition: number, members: readonly string[], replicas: number): string[] {
  return [...members]
    .map((m) => ({ m, s: score(m, partition) }))
    .sort((a, b) => b.s - a.s || (a.m < b.m ? -1 : 1))
    .slice(0, Math.max(0, replicas))
    .map((x) => x.m);
}

/** The partitions of 0..partitions-1 that `member` owns. */
export function partitionsOwnedBy(
  member: string,
  members: readonly string[],
  partitions: number,
  replicas: number,
): number[] {
  const out: number[] = [];
  for (let p = 0; p < partitions; p++)
    if (owners(p, members, replicas).includes(member)) out.push(p);
  return out;
}
