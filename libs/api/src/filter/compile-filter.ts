import { ApiErrorCode, invalidField } from "../errors.js";

/** Metadata as stored with a vector: a JSON object, or null for none. */
export type MetadataObject = Record<string, unknown>;

/** Whether a vector's metadata passes a filter. */
export type MetadataPredicate = (metadata: MetadataObject | null) => boolean;

type Scalar = string | number | boolean | null;
type ValueTest = (value: unknown) => boolean;

const LOGICAL = new Set(["$and", "$or", "$not"]);
const FIELD_OPERATORS = new Set([
  "$eq",
  "$ne",
  "$in",
  "$nin",
  "$gt",
  "$gte",
  "$lt",
  "$lte",
  "$exists",
  "$not",
]);
/** Limits that keep one filter's cost bounded. */
const MAX_DEPTH = 16;
const MAX_IN_VALUES = 10_000;

function bad(path: string, message: string) {
  return invalidField(path, message, ApiErrorCode.InvalidFilter);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isScalar(v: unknown): v is Scalar {
  return (
    v === null ||
    typeof v === "string" ||
    typeof v === "boolean" ||
    (typeof v === "number" && Number.isFinite(v))
  );
}

/**
 * Compiles a metadata filter in the style of MongoDB / Pinecone / Chroma into a predicate, and
 * validates it on the way: a wrong filter throws an INVALID_FILTER error naming its path
 * (e.g. `filter.year.$gte`).
 *
 * - `{field: value}` is `{field: {$eq: value}}`; several keys are ANDed; `a.b` reads nested objects.
 * - `$and` / `$or`: non-empty arrays of filters; `$not`: a filter (top level) or operators (field).
 * - `$eq $ne $in $nin`: strings, finite numbers, booleans, null; `$gt $gte $lt $lte`: a number or
 *   a string, compared with values of the same type only; `$exists`: a boolean.
 * - A field holding an array matches when one of its elements does (`$ne` / `$nin`: when none
 *   does); a missing field matches only `$ne`, `$nin`, `$exists: false` and negations.
 */
export function compileFilter(input: unknown, path = "filter"): MetadataPredicate {
  const test = compileDocument(input, path, 0);
  return (metadata) => test(metadata ?? {});
}

function compileDocument(
  input: unknown,
  path: string,
  depth: number,
): (doc: MetadataObject) => boolean {
  if (depth > MAX_DEPTH) throw bad(path, `nests deeper than ${MAX_DEPTH} levels`);
  if (!isPlainObject(input)) throw bad(path, "must be an object");
  const parts: ((doc: MetadataObject) => boolean)[] = [];
  for (const [key, value] of Object.entries(input)) {
    const at = `${path}.${key}`;
    if (key.startsWith("$")) {
      if (!LOGICAL.has(key)) {
        throw bad(at, `is not a logical operator here (use $and, $or, $not, or a field name)`);
      }
      if (key === "$not") {
        const inner = compileDocument(value, at, depth + 1);
        parts.push((doc) => !inner(doc));
        continue;
      }
      if (!Array.isArray(value) || value.length === 0) {
        throw bad(at, "must be a non-empty array of filters");
      }
      const subs = value.map((v, i) => compileDocument(v, `${at}[${i}]`, depth + 1));
      parts.push(
        key === "$and" ? (doc) => subs.every((s) => s(doc)) : (doc) => subs.some((s) => s(doc)),
      );
      continue;
    }
    if (key.length === 0) throw bad(path, "has an empty field name");
    const test = compileCondition(value, at, depth + 1);
    const steps = key.split(".");
    parts.push((doc) => test(lookup(doc, steps)));
  }
  if (parts.length === 1) return parts[0];
  return (doc) => parts.every((p) => p(doc));
}

function lookup(doc: MetadataObject, steps: string[]): unknown {
  let value: unknown = doc;
  for (const step of steps) {
    if (!isPlainObject(value)) return undefined;
    value = value[step];
  }
  return value;
}

/** The test of one field: a value (equality) or an object of operators. */
function compileCondition(input: unknown, path: string, depth: number): ValueTest {
  if (depth > MAX_DEPTH) throw bad(path, `nests deeper than ${MAX_DEPTH} levels`);
  if (isScalar(input)) return anyElement((v) => v === input);
  if (Array.isArray(input)) throw bad(path, "cannot be an array (use {$in: [...]})");
  if (!isPlainObject(input)) throw bad(path, "must be a value or an object of operators");
  const entries = Object.entries(input);
  if (entries.length === 0) throw bad(path, "must have at least one operator");
  const tests = entries.map(([op, operand]) =>
    compileOperator(op, operand, `${path}.${op}`, depth),
  );
  if (tests.length === 1) return tests[0];
  return (value) => tests.every((t) => t(value));
}

function compileOperator(op: string, operand: unknown, path: string, depth: number): ValueTest {
  if (!FIELD_OPERATORS.has(op)) {
    throw bad(
      path,
      op.startsWith("$")
        ? `is not a supported operator (${[...FIELD_OPERATORS].join(" ")})`
        : "is a nested field: use a dotted path such as a.b",
    );
  }
  switch (op) {
    case "$eq":
      return anyElement((v) => v === scalar(operand, path));
    case "$ne": {
      const x = scalar(operand, path);
      return (value) => !anyElement((v) => v === x)(value);
    }
    case "$in":
    case "$nin": {
      if (!Array.isArray(operand)) throw bad(path, "must be an array");
      if (operand.length > MAX_IN_VALUES) throw bad(path, `has more than ${MAX_IN_VALUES} values`);
      const set = new Set(operand.map((v, i) => scalar(v, `${path}[${i}]`)));
      const some = anyElement((v) => set.has(v as Scalar));
      return op === "$in" ? some : (value) => !some(value);
    }
    case "$gt":
    case "$gte":
    case "$lt":
    case "$lte": {
      if (!(
        typeof operand === "string" ||
        (typeof operand === "number" && Number.isFinite(operand))
      ))
        throw bad(path, "must be a number or a string");
      const kind = typeof operand;
      const x = operand as number | string;
      const compare =
        op === "$gt"
          ? (v: number | string) => v > x
          : op === "$gte"
            ? (v: number | string) => v >= x
            : op === "$lt"
              ? (v: number | string) => v < x
              : (v: number | string) => v <= x;
      return anyElement((v) => typeof v === kind && compare(v as number | string));
    }
    case "$exists":
      if (typeof operand !== "boolean") throw bad(path, "must be true or false");
      return (value) => (value !== undefined) === operand;
    default: {
      // $not of a field: the negation of its operators
      if (!isPlainObject(operand)) throw bad(path, "must be an object of operators");
      const inner = compileCondition(operand, path, depth + 1);
      return (value) => !inner(value);
    }
  }
}

function scalar(v: unknown, path: string): Scalar {
  if (!isScalar(v)) throw bad(path, "must be a string, a finite number, a boolean or null");
  return v;
}

/** A test of a value that, for an array, holds when one of its elements passes. */
function anyElement(test: (v: unknown) => boolean): ValueTest {
  return (value) => (Array.isArray(value) ? value.some(test) : test(value));
}
