export const EventErrorCode = {
  UnsupportedVersion: "UNSUPPORTED_EVENT_VERSION",
  UnknownType: "UNKNOWN_EVENT_TYPE",
  Malformed: "MALFORMED_EVENT",
} as const;

export type EventErrorCode = (typeof EventErrorCode)[keyof typeof EventErrorCode];

/** An event that cannot be decoded: its bytes are kept so that it can be dead-lettered. */
export class EventDecodeError extends Error {
  override readonly name = "EventDecodeError";

  constructor(
    readonly code: EventErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isEventDecodeError(error: unknown): error is EventDecodeError {
  return error instanceof EventDecodeError;
}
