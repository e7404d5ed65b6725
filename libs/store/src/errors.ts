export const StoreErrorCode = {
  Closed: "STORE_CLOSED",
  OutOfOrder: "STORE_OUT_OF_ORDER",
  DimensionMismatch: "STORE_DIMENSION_MISMATCH",
} as const;

export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode];

export class StoreError extends Error {
  override readonly name = "StoreError";

  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isStoreError(error: unknown, code?: StoreErrorCode): error is StoreError {
  return error instanceof StoreError && (code === undefined || error.code === code);
}
