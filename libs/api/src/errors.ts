/** Error codes of the v1 API, with the HTTP status each one maps to. */
export const ApiErrorCode = {
  InvalidRequest: "INVALID_REQUEST",
  MalformedJson: "MALFORMED_JSON",
  PayloadTooLarge: "PAYLOAD_TOO_LARGE",
  UnsupportedMediaType: "UNSUPPORTED_MEDIA_TYPE",
  InvalidConfig: "INVALID_CONFIG",
  InvalidFilter: "INVALID_FILTER",
  InvalidVector: "INVALID_VECTOR",
  DimensionMismatch: "DIMENSION_MISMATCH",
  InvalidWriteToken: "INVALID_WRITE_TOKEN",
  NotFound: "NOT_FOUND",
  LibraryNotFound: "LIBRARY_NOT_FOUND",
  VectorNotFound: "VECTOR_NOT_FOUND",
  LibraryExists: "LIBRARY_EXISTS",
  MigrationNotFound: "MIGRATION_NOT_FOUND",
  MigrationConflict: "MIGRATION_CONFLICT",
  TooFewVectors: "TOO_FEW_VECTORS",
  BenchmarkRunning: "BENCHMARK_RUNNING",
  NotEnoughVectors: "NOT_ENOUGH_VECTORS",
  MethodNotAllowed: "METHOD_NOT_ALLOWED",
  PartitionUnavailable: "PARTITION_UNAVAILABLE",
  Timeout: "TIMEOUT",
  ShuttingDown: "SHUTTING_DOWN",
  Internal: "INTERNAL",
} as const;

export type ApiErrorCode = (typeof ApiErrorCode)[keyof typeof ApiErrorCode];

export const API_ERROR_STATUS: Record<ApiErrorCode, number> = {
  INVALID_REQUEST: 400,
  MALFORMED_JSON: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INVALID_CONFIG: 400,
  INVALID_FILTER: 400,
  INVALID_VECTOR: 400,
  DIMENSION_MISMATCH: 400,
  INVALID_WRITE_TOKEN: 400,
  NOT_FOUND: 404,
  LIBRARY_NOT_FOUND: 404,
  VECTOR_NOT_FOUND: 404,
  LIBRARY_EXISTS: 409,
  MIGRATION_NOT_FOUND: 404,
  MIGRATION_CONFLICT: 409,
  TOO_FEW_VECTORS: 409,
  BENCHMARK_RUNNING: 409,
  NOT_ENOUGH_VECTORS: 409,
  METHOD_NOT_ALLOWED: 405,
  PARTITION_UNAVAILABLE: 503,
  TIMEOUT: 504,
  SHUTTING_DOWN: 503,
  INTERNAL: 500,
};

/** The body of every error response: `{"error": {"code", "message", "details"}}`. */
export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

/**
 * An error the API reports to its caller. Raised by the coordinator's services and rebuilt by the
 * client from an error response, so both sides speak the same codes.
 */
export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly status: number;

  constructor(
    readonly code: ApiErrorCode | string,
    message: string,
    readonly details: Record<string, unknown> = {},
    status?: number,
  ) {
    super(message);
    this.status = status ?? API_ERROR_STATUS[code as ApiErrorCode] ?? 500;
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

export function isApiError(error: unknown, code?: string): error is ApiError {
  return error instanceof ApiError && (code === undefined || error.code === code);
}

/** A request field that is wrong: the message starts with the field's path. */
export function invalidField(
  field: string,
  message: string,
  code: ApiErrorCode = ApiErrorCode.InvalidRequest,
  details: Record<string, unknown> = {},
): ApiError {
  return new ApiError(code, `${field} ${message}`, { field, ...details });
}
