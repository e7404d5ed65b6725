/** Codes of the errors the engine raises: bad input or configuration, never I/O. */
export const EngineErrorCode = {
  DimensionMismatch: "DIMENSION_MISMATCH",
  InvalidVector: "INVALID_VECTOR",
  InvalidConfig: "INVALID_CONFIG",
  InvalidId: "INVALID_ID",
  EmptyTrainingSet: "EMPTY_TRAINING_SET",
  CapacityExceeded: "CAPACITY_EXCEEDED",
  InvalidSnapshot: "INVALID_SNAPSHOT",
  UnsupportedSnapshotVersion: "UNSUPPORTED_SNAPSHOT_VERSION",
  /** The index was disposed: its memory went back to the workspace. */
  Disposed: "DISPOSED",
} as const;

export type EngineErrorCode = (typeof EngineErrorCode)[keyof typeof EngineErrorCode];

export class EngineError extends Error {
  override readonly name = "EngineError";
  readonly code: EngineErrorCode;
  /** Machine-readable facts about the failure, e.g. `{ field: "subvectors", value: 7 }`. */
  readonly details: Record<string, unknown>;

  constructor(
    code: EngineErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = code;
    this.details = details;
  }
}

export function isEngineError(error: unknown, code?: EngineErrorCode): error is EngineError {
  return error instanceof EngineError && (code === undefined || error.code === code);
}

export function invalidConfig(field: string, message: string, value?: unknown): EngineError {
  return new EngineError(EngineErrorCode.InvalidConfig, `${field}: ${message}`, { field, value });
}
