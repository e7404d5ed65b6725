export const LogErrorCode = {
  Closed: "LOG_CLOSED",
  InvalidArgument: "LOG_INVALID_ARGUMENT",
  Unavailable: "LOG_UNAVAILABLE",
  ReadOnly: "LOG_READ_ONLY",
  /** A KV put expected a revision of its key that is no longer (or not yet) the current one. */
  KvConflict: "KV_CONFLICT",
} as const;

export type LogErrorCode = (typeof LogErrorCode)[keyof typeof LogErrorCode];

export class LogError extends Error {
  override readonly name = "LogError";

  constructor(
    readonly code: LogErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isLogError(error: unknown, code?: LogErrorCode): error is LogError {
  return error instanceof LogError && (code === undefined || error.code === code);
}

export function checkAppend(partition: number, msgId: string): void {
  if (!Number.isInteger(partition) || partition < 0) {
    throw new LogError(
      LogErrorCode.InvalidArgument,
      `partition must be a non-negative integer, got ${partition}`,
    );
  }
  if (typeof msgId !== "string" || msgId.length === 0) {
    throw new LogError(LogErrorCode.InvalidArgument, "msgId must be a non-empty string");
  }
}
