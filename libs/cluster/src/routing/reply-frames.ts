/**
 * Replies larger than one NATS message (nats-server's max_payload, 1 MB by default) travel as
 * several messages to the request's reply inbox, which the requester puts back together. A reply
 * that fits is sent as it is. A frame starts with 0xc1, a byte msgpack never uses, so a whole
 * reply (a msgpack map) is never taken for a frame: [0xc1][u32 frame count][u32 index][bytes].
 */
const FRAME_MARK = 0xc1;
const FRAME_HEADER_BYTES = 9;

/** The most bytes one reply may have over all its frames (nats-server's 64 MB max_pending). */
export const MAX_REPLY_BYTES = 32 * 1024 * 1024;

/** A reply too large to send at all. */
export class ReplyTooLargeError extends Error {
  override readonly name = "ReplyTooLargeError";

  constructor(readonly bytes: number) {
    super(
      `the reply holds ${bytes} bytes, more than the ${MAX_REPLY_BYTES} a reply may have: ` +
        "ask for less at a time (fewer queries, a smaller k, no vectors or metadata)",
    );
  }
}

/** The messages that carry `reply` in messages of at most `maxMessageBytes` each. */
export function replyFrames(reply: Uint8Array, maxMessageBytes: number): Uint8Array[] {
  if (reply.byteLength <= maxMessageBytes) return [reply];
  if (reply.byteLength > MAX_REPLY_BYTES) throw new ReplyTooLargeError(reply.byteLength);
  const body = maxMessageBytes - FRAME_HEADER_BYTES;
  if (body <= 0) throw new RangeError(`messages of ${maxMessageBytes} bytes hold no frame`);
  const count = Math.ceil(reply.byteLength / body);
  const frames: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const part = reply.subarray(i * body, Math.min(reply.byteLength, (i + 1) * body));
    const frame = new Uint8Array(FRAME_HEADER_BYTES + part.byteLength);
    const view = new DataView(frame.buffer);
    frame[0] = FRAME_MARK;
    view.setUint32(1, count, true);
    view.setUint32(5, i, true);
    frame.set(part, FRAME_HEADER_BYTES);
    frames.push(frame);
  }
  return frames;
}

/** Puts a reply back together from the messages that answer one request. */
export class ReplyAssembler {
  private parts: (Uint8Array | undefined)[] = [];
  private received = 0;

  /** Takes one message; answers the whole reply once every frame of it has come. */
  add(message: Uint8Array): Uint8Array | undefined {
    if (message[0] !== FRAME_MARK) return message;
    if (message.byteLength < FRAME_HEADER_BYTES) throw new Error("a reply frame without header");
    const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
    const count = view.getUint32(1, true);
    const index = view.getUint32(5, true);
    if (this.parts.length === 0) this.parts = new Array<Uint8Array | undefined>(count);
    if (count !== this.parts.length || index >= count)
      throw new Error(`reply frame ${index} of ${count} does not belong to this reply`);
    if (this.parts[index] === undefined) this.received++;
    // a copy: the message may be a view of the connection's read buffer
    this.parts[index] = message.slice(FRAME_HEADER_BYTES);
    if (this.received < count) return undefined;
    const whole = new Uint8Array(this.parts.reduce((n, p) => n + (p?.byteLength ?? 0), 0));
    let at = 0;
    for (const part of this.parts as Uint8Array[]) {
      whole.set(part, at);
      at += part.byteLength;
    }
    return whole;
  }

  /** What came so far, for an error message: "3 of 5 frames". */
  progress(): string {
    return `${this.received} of ${this.parts.length} frames`;
  }
}
