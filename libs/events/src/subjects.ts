/** The JetStream stream holding every event, and its subjects: one per partition. */
export const EVENT_STREAM = "QUIVER_EVENTS";
export const PARTITION_SUBJECT_PREFIX = "quiver.events.p.";
export const PARTITION_SUBJECTS = `${PARTITION_SUBJECT_PREFIX}*`;

/**
 * The catalog: a log partition of its own that holds every library event (created, config
 * changed, deleted), read by coordinators to know the libraries. Library events are also
 * appended to each of the library's data partitions, which are numbered from 0, below it.
 */
export const CATALOG_PARTITION = 1_000_000;

export function partitionSubject(partition: number): string {
  return `${PARTITION_SUBJECT_PREFIX}${partition}`;
}

/** The partition of a subject, or -1 when it is not a partition subject. */
export function partitionOfSubject(subject: string): number {
  if (!subject.startsWith(PARTITION_SUBJECT_PREFIX)) return -1;
  const n = Number(subject.slice(PARTITION_SUBJECT_PREFIX.length));
  return Number.isInteger(n) && n >= 0 ? n : -1;
}

/**
 * The partition of a vector: FNV-1a of the library and vector ids, modulo the partition count.
 * Stable across processes and versions: it decides where a vector's events are ordered.
 */
export function partitionOf(libraryId: string, vectorId: string, partitions: number): number {
  let h = 0x811c9dc5;
  const mix = (s: string) => {
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
  };
  mix(libraryId);
  mix("\u0000"); // separator: ("ab", "c") and ("a", "bc") differ
  mix(vectorId);
  return (h >>> 0) % partitions;
}
