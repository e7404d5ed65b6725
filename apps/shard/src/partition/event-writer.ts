import {
  decodeEvent,
  effectiveQuantization,
  isEventDecodeError,
  type QuiverEvent,
} from "@quiver/events";
import type { LogEntry } from "@quiver/log";
import type { PartitionLibrary, PartitionStore, PartitionWriter } from "@quiver/store";

/** What a batch does to the in-memory indexes, applied after its transaction commits. */
export type IndexEffect =
  | { kind: "create"; record: PartitionLibrary }
  | { kind: "drop"; libraryId: string }
  | { kind: "upsert"; record: PartitionLibrary; ids: number[]; vectors: Float32Array }
  | { kind: "delete"; libraryId: string; ids: (number | undefined)[] }
  | { kind: "migration"; libraryId: string };

/** An event recorded as a dead letter: why, for the log line and the metric. */
export interface Letter {
  seq: number;
  msgId: string;
  code: string;
  reason: string;
}

/** What the store writes of a batch leave for afterwards. */
export interface WrittenBatch {
  effects: IndexEffect[];
  letters: Letter[];
  /** Types of the events applied (not dead-lettered), for the metrics. */
  types: string[];
}

/** An event that is well-formed but cannot apply to this partition's state: dead-lettered. */
class Rejection extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The store writes of a partition's events, inside the batch's transaction, and the index
 * effects they call for. Validates first, then writes: a rejected event writes nothing but its
 * dead letter.
 */
export class EventWriter {
  constructor(
    private readonly store: PartitionStore,
    private readonly partition: number,
  ) {}

  /** The store writes of one entry, its effects and letters added to `out`. */
  write(tx: PartitionWriter, entry: LogEntry, out: WrittenBatch): void {
    let event: QuiverEvent;
    try {
      event = decodeEvent(entry.data);
      this.writeEvent(tx, event, out.effects);
    } catch (error) {
      if (!isEventDecodeError(error) && !(error instanceof Rejection)) throw error;
      const letter = {
        seq: entry.seq,
        msgId: entry.msgId,
        code: error.code,
        reason: error.message,
      };
      tx.deadLetter({ ...letter, data: entry.data });
      out.letters.push(letter);
      return;
    }
    out.types.push(event.type);
  }

  private writeEvent(tx: PartitionWriter, event: QuiverEvent, effects: IndexEffect[]): void {
    switch (event.type) {
      case "library.created": {
        const { type: _type, ...record } = event;
        const existing = this.store.library(this.partition, event.libraryId);
        if (existing && !sameLibrary(existing, record)) {
          throw new Rejection(
            "LIBRARY_EXISTS",
            `library ${event.libraryId} exists with another configuration`,
          );
        }
        tx.putLibrary(record);
        effects.push({ kind: "create", record });
        return;
      }
      case "library.config_changed": {
        const record = this.libraryOf(event.libraryId);
        // The new config is recorded; indexes change through migrations (brief §2).
        const q = event.quantization;
        // an adaptive library's parameters change; what its index runs stays until a migration
        const quantization =
          q.strategy === "adaptive" && record.quantization.strategy === "adaptive"
            ? { ...q, current: record.quantization.current }
            : q;
        tx.putLibrary({ ...record, quantization });
        return;
      }
      case "library.deleted":
        tx.deleteLibrary(event.libraryId);
        effects.push({ kind: "drop", libraryId: event.libraryId });
        return;
      case "vectors.upserted": {
        const record = this.libraryOf(event.libraryId);
        const dim = record.dimension;
        if (event.dimension !== dim) {
          throw new Rejection(
            "DIMENSION_MISMATCH",
            `vectors of dimension ${event.dimension} for library ${event.libraryId} of dimension ${dim}`,
          );
        }
        const values = event.vectors;
        for (let i = 0; i < values.length; i++) {
          if (values[i] - values[i] !== 0) {
            throw new Rejection(
              "INVALID_VECTOR",
              `vector ${event.ids[Math.floor(i / dim)]} has a non-finite component`,
            );
          }
        }
        const ids = event.ids.map(
          (id, i) =>
            tx.upsertVector(
              event.libraryId,
              id,
              values.subarray(i * dim, (i + 1) * dim),
              event.metadata[i],
            ).internalId,
        );
        effects.push({ kind: "upsert", record, ids, vectors: values });
        return;
      }
      case "vectors.deleted": {
        this.libraryOf(event.libraryId);
        const ids = event.ids.map((id) => tx.deleteVector(event.libraryId, id));
        effects.push({ kind: "delete", libraryId: event.libraryId, ids });
        return;
      }
      case "migration.started": {
        const record = this.libraryOf(event.libraryId);
        if (record.migration?.migrationId === event.migrationId) return;
        // the same index either way (e.g. to adaptive, keeping what it runs now): no rebuild
        const already = sameJson(
          effectiveQuantization(record.quantization),
          effectiveQuantization(event.to),
        );
        tx.putLibrary({
          ...record,
          ...(already ? { quantization: event.to } : {}),
          migration: {
            migrationId: event.migrationId,
            from: record.quantization,
            to: event.to,
            state: already ? "switched" : "building",
            ...(event.trainingId && !already ? { trainingId: event.trainingId } : {}),
          },
        });
        effects.push({ kind: "migration", libraryId: event.libraryId });
        return;
      }
      case "migration.failed":
      case "migration.cancelled": {
        const record = this.libraryOf(event.libraryId);
        const m = record.migration;
        if (m?.migrationId !== event.migrationId) return;
        // Not switched yet: the rebuild is dropped. Switched: the old config is rebuilt.
        const state =
          m.state === "building" ? "abandoned" : m.state === "switched" ? "rolling_back" : m.state;
        tx.putLibrary({ ...record, migration: { ...m, state } });
        effects.push({ kind: "migration", libraryId: event.libraryId });
        return;
      }
      case "quantizer.trained": {
        const record = this.libraryOf(event.libraryId);
        const { trainingId } = event;
        const whole = tx.putQuantizerPart(
          event.libraryId,
          trainingId,
          event.runId,
          event.part,
          event.parts,
          event.parameters,
        );
        if (!whole) return;
        const m = record.migration;
        // a migration waiting for this quantizer builds with it now
        if (m?.trainingId === trainingId) {
          effects.push({ kind: "migration", libraryId: event.libraryId });
          return;
        }
        // trained for a config the library no longer runs, or one a migration is replacing
        const rebuilding = m?.state === "building" || m?.state === "rolling_back";
        if (rebuilding || !sameJson(effectiveQuantization(record.quantization), event.config)) {
          return;
        }
        // two trainings of one config (a new leader retrying): every partition keeps the later
        const t = record.training;
        if (t && sameJson(t.config, event.config) && t.trainingId > trainingId) return;
        tx.putLibrary({
          ...record,
          training: { trainingId, config: event.config, state: "building" },
        });
        effects.push({ kind: "migration", libraryId: event.libraryId });
        return;
      }
      default:
      // Completion and policy events are the coordinators' record; a partition only passes them.
    }
  }

  private libraryOf(libraryId: string): PartitionLibrary {
    const record = this.store.library(this.partition, libraryId);
    if (!record)
      throw new Rejection(
        "UNKNOWN_LIBRARY",
        `library ${libraryId} does not exist in partition ${this.partition}`,
      );
    return record;
  }
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function sameLibrary(a: PartitionLibrary, b: PartitionLibrary): boolean {
  return sameJson({ ...a, createdAtMs: 0 }, { ...b, createdAtMs: 0 });
}
