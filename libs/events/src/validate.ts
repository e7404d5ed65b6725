import { EventDecodeError, EventErrorCode } from "./errors.js";
import type { QuiverEvent } from "./events.js";

type Fields = Record<string, unknown>;

function malformed(type: string, message: string): EventDecodeError {
  return new EventDecodeError(EventErrorCode.Malformed, `${type}: ${message}`);
}

function need(e: Fields, field: string, ok: (v: unknown) => boolean, what: string): void {
  if (!ok(e[field])) throw malformed(String(e.type), `${field} must be ${what}`);
}

const isString = (v: unknown) => typeof v === "string" && v.length > 0;
const isNumber = (v: unknown) => typeof v === "number" && Number.isFinite(v);
const isCount = (v: unknown) => typeof v === "number" && Number.isInteger(v) && v >= 0;
const isObject = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);
const isStrings = (v: unknown) => Array.isArray(v) && v.every(isString);
const oneOf =
  (...values: string[]) =>
  (v: unknown) =>
    typeof v === "string" && values.includes(v);

function needConfig(e: Fields, field: string): void {
  need(
    e,
    field,
    (v) => isObject(v) && isString((v as Fields).strategy),
    "a quantization config with a strategy",
  );
}

/** Checks the shape of a decoded event (the wire is trusted for nothing). */
export function checkEvent(e: Fields): QuiverEvent {
  need(e, "libraryId", isString, "a non-empty string");
  switch (e.type) {
    case "library.created":
      need(e, "tenantId", isString, "a non-empty string");
      need(e, "name", isString, "a non-empty string");
      need(e, "dimension", (v) => isCount(v) && (v as number) > 0, "a positive integer");
      need(e, "metric", oneOf("l2", "cosine", "dot"), "l2, cosine or dot");
      need(e, "indexType", oneOf("hnsw", "flat"), "hnsw or flat");
      need(e, "hnsw", isObject, "an object");
      needConfig(e, "quantization");
      need(e, "createdAtMs", isNumber, "a number");
      if (e.partitions !== undefined) {
        need(e, "partitions", (v) => isCount(v) && (v as number) > 0, "a positive integer");
      }
      break;
    case "library.config_changed":
      needConfig(e, "quantization");
      break;
    case "library.deleted":
      break;
    case "vectors.upserted": {
      need(e, "ids", isStrings, "an array of non-empty strings");
      need(e, "dimension", (v) => isCount(v) && (v as number) > 0, "a positive integer");
      const n = (e.ids as string[]).length;
      const dim = e.dimension as number;
      need(
        e,
        "vectors",
        (v) => v instanceof Float32Array && v.length === n * dim,
        `${n} x ${dim} float32 values`,
      );
      need(
        e,
        "metadata",
        (v) => Array.isArray(v) && v.length === n && v.every((m) => m === null || isObject(m)),
        `${n} objects or nulls`,
      );
      break;
    }
    case "vectors.deleted":
      need(e, "ids", isStrings, "an array of non-empty strings");
      break;
    case "migration.started":
      need(e, "migrationId", isString, "a non-empty string");
      needConfig(e, "from");
      needConfig(e, "to");
      if (e.trainingId !== undefined) need(e, "trainingId", isString, "a non-empty string");
      break;
    case "quantizer.trained":
      need(e, "trainingId", isString, "a non-empty string");
      need(e, "runId", isString, "a non-empty string");
      needConfig(e, "config");
      need(e, "parameters", (v) => v instanceof Uint8Array, "bytes");
      need(e, "parts", (v) => isCount(v) && (v as number) > 0, "a positive integer");
      need(
        e,
        "part",
        (v) => isCount(v) && (v as number) < (e.parts as number),
        "a part below parts",
      );
      need(e, "sampleSize", isCount, "a count");
      need(e, "trainedAtMs", isNumber, "a number");
      break;
    case "library.trained":
      need(e, "trainingId", isString, "a non-empty string");
      needConfig(e, "config");
      need(e, "sampleSize", isCount, "a count");
      need(e, "trainedAtMs", isNumber, "a number");
      break;
    case "migration.progressed":
      need(e, "migrationId", isString, "a non-empty string");
      need(e, "partition", isCount, "a partition number");
      need(e, "done", isCount, "a count");
      need(e, "total", isCount, "a count");
      break;
    case "migration.completed":
      need(e, "migrationId", isString, "a non-empty string");
      break;
    case "migration.failed":
    case "migration.cancelled":
      need(e, "migrationId", isString, "a non-empty string");
      need(e, "reason", (v) => typeof v === "string", "a string");
      break;
    case "policy.decision":
      needConfig(e, "decision");
      need(
        e,
        "inputs",
        (v) => isObject(v) && Object.values(v as Fields).every(isNumber),
        "an object of numbers",
      );
      need(e, "reason", (v) => typeof v === "string", "a string");
      break;
    case "recall.measured": {
      const isRatio = (v: unknown) => isNumber(v) && (v as number) >= 0 && (v as number) <= 1;
      need(e, "recallAt10", isRatio, "a number in [0, 1]");
      need(e, "recallAt100", isRatio, "a number in [0, 1]");
      need(e, "sampleSize", isCount, "a count");
      need(e, "numVectors", isCount, "a count");
      need(e, "strategy", isString, "a non-empty string");
      need(e, "measuredAtMs", isNumber, "a number");
      need(e, "durationMs", (v) => isNumber(v) && (v as number) >= 0, "a non-negative number");
      break;
    }
  }
  return e as unknown as QuiverEvent;
}
