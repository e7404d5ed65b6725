import { decode, encode } from "@msgpack/msgpack";
import { EventDecodeError, EventErrorCode } from "./errors.js";
import { EVENT_TYPES, type EventType, type QuiverEvent } from "./events.js";
import { checkEvent } from "./validate.js";

/**
 * Events on the wire: one msgpack map `{v, t, ...fields}` where `v` is the format version and
 * `t` the event type. Vectors travel as one binary blob of little-endian float32, not as arrays
 * of numbers. A decoder rejects an unknown version or type, and any field of the wrong shape,
 * with an EventDecodeError that says what is wrong.
 */
export const EVENT_FORMAT_VERSION = 1;

export function encodeEvent(event: QuiverEvent): Uint8Array {
  const { type, ...fields } = event;
  const wire: Record<string, unknown> = { v: EVENT_FORMAT_VERSION, t: type, ...fields };
  if (event.type === "vectors.upserted") {
    const v = event.vectors;
    wire.vectors = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  }
  return encode(wire, { ignoreUndefined: true });
}

export function decodeEvent(bytes: Uint8Array): QuiverEvent {
  let wire: unknown;
  try {
    wire = decode(bytes);
  } catch (cause) {
    throw new EventDecodeError(
      EventErrorCode.Malformed,
      `not msgpack: ${(cause as Error).message}`,
      { cause },
    );
  }
  if (typeof wire !== "object" || wire === null || Array.isArray(wire)) {
    throw new EventDecodeError(EventErrorCode.Malformed, "an event must be a msgpack map");
  }
  const { v, t, ...fields } = wire as Record<string, unknown>;
  if (v !== EVENT_FORMAT_VERSION) {
    throw new EventDecodeError(
      EventErrorCode.UnsupportedVersion,
      `event format version ${String(v)} is not supported (this build reads ${EVENT_FORMAT_VERSION})`,
    );
  }
  if (typeof t !== "string" || !EVENT_TYPES.includes(t as EventType)) {
    throw new EventDecodeError(
      EventErrorCode.UnknownType,
      `unknown event type ${JSON.stringify(t)}`,
    );
  }
  if (t === "vectors.upserted" && fields.vectors instanceof Uint8Array) {
    fields.vectors = float32FromBytes(fields.vectors);
  }
  return checkEvent({ type: t, ...fields });
}

/** Little-endian float32 bytes as a Float32Array (copied when not 4-byte aligned). */
function float32FromBytes(bytes: Uint8Array): Float32Array | Uint8Array {
  if (bytes.byteLength % 4 !== 0) return bytes; // rejected by the validator, with its field name
  // new Uint8Array(...) copies (a Buffer's slice() would not).
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : new Uint8Array(bytes);
  return new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
}
