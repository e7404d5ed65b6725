import { decode, encode } from "@msgpack/msgpack";
import {
  decodeEvent,
  encodeEvent,
  type PolicyDecision,
  type QuiverEvent,
  type RecallMeasured,
} from "@quiver/events";

/** The KV prefix of every library fact. */
export const FACTS_PREFIX = "lib.";

/** The KV prefix of one library's facts. */
export const libraryPrefix = (libraryId: string) => `lib.${libraryId}.`;
/** The latest recall probe measurement of a library (a recall.measured event). */
export const recallKey = (libraryId: string) => `lib.${libraryId}.recall`;
/** The adaptive policy's latest decision for a library (a policy.decision event). */
export const decisionKey = (libraryId: string) => `lib.${libraryId}.decision`;
/** The furthest progress a migration in progress was shown with. */
export const progressKey = (libraryId: string, migrationId: string) =>
  `lib.${libraryId}.progress.${migrationId}`;

/** How far a migration was shown to be: what callers see of it only grows. */
export interface MigrationProgressFact {
  libraryId: string;
  migrationId: string;
  /** Fraction done, 0..1. */
  progress: number;
  atMs: number;
}

/** One last-value fact about a library, as its KV key holds it. */
export type Fact =
  | { kind: "recall"; libraryId: string; value: RecallMeasured }
  | { kind: "decision"; libraryId: string; value: PolicyDecision }
  | { kind: "progress"; libraryId: string; migrationId: string; value: MigrationProgressFact };

const PROGRESS_FORMAT = 1;

/** The fact a catalog event of an earlier version recorded (recall.measured, policy.decision). */
export function factOfEvent(event: QuiverEvent): Fact | undefined {
  if (event.type === "recall.measured")
    return { kind: "recall", libraryId: event.libraryId, value: event };
  if (event.type === "policy.decision")
    return { kind: "decision", libraryId: event.libraryId, value: event };
  return undefined;
}

/** A fact's place in its key's order: of two facts, the greater wins. */
export function rank(fact: Fact): number {
  if (fact.kind === "recall") return fact.value.measuredAtMs;
  if (fact.kind === "decision") return fact.value.atMs ?? 0;
  return fact.value.progress;
}

export function keyOf(fact: Fact): string {
  if (fact.kind === "recall") return recallKey(fact.libraryId);
  if (fact.kind === "decision") return decisionKey(fact.libraryId);
  return progressKey(fact.libraryId, fact.migrationId);
}

/** The library a fact's key is about. */
export function libraryOfKey(key: string): string {
  return key.split(".")[1];
}

/** Recall and decision facts are stored as their events (codec-versioned), progress as msgpack. */
export function encodeFact(fact: Fact): Uint8Array {
  if (fact.kind !== "progress") return encodeEvent(fact.value);
  return encode({ v: PROGRESS_FORMAT, ...fact.value });
}

/**
 * The fact stored under `key`; undefined for a kind this build does not know, an error for bytes
 * it cannot read.
 */
export function decodeFact(key: string, bytes: Uint8Array): Fact | undefined {
  const [, libraryId, kind, migrationId] = key.split(".");
  if (kind === "recall" || kind === "decision") {
    const event = decodeEvent(bytes);
    if (event.type === "recall.measured" && kind === "recall")
      return { kind, libraryId, value: event };
    if (event.type === "policy.decision" && kind === "decision")
      return { kind, libraryId, value: event };
    throw new Error(`a ${event.type} event under a ${kind} key`);
  }
  if (kind === "progress" && migrationId) {
    const { v, ...value } = decode(bytes) as MigrationProgressFact & { v: number };
    if (v !== PROGRESS_FORMAT || typeof value.progress !== "number")
      throw new Error(`progress format ${String(v)} is not ${PROGRESS_FORMAT}`);
    return { kind, libraryId, migrationId, value };
  }
  return undefined;
}

/** The fact stored under `key`, undefined when this build cannot read it (a write replaces it). */
export function readableFact(key: string, bytes: Uint8Array): Fact | undefined {
  try {
    return decodeFact(key, bytes);
  } catch {
    return undefined;
  }
}
