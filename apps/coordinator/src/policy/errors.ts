export const PolicyErrorCode = {
  /** Prometheus could not be reached, timed out or answered something that is not its API. */
  PrometheusUnavailable: "PROMETHEUS_UNAVAILABLE",
  /** Prometheus answered a query with an error (bad PromQL, timeout of the query itself). */
  PrometheusQueryFailed: "PROMETHEUS_QUERY_FAILED",
} as const;

export type PolicyErrorCode = (typeof PolicyErrorCode)[keyof typeof PolicyErrorCode];

export class PolicyError extends Error {
  override readonly name = "PolicyError";

  constructor(
    readonly code: PolicyErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isPolicyError(error: unknown, code?: PolicyErrorCode): error is PolicyError {
  return error instanceof PolicyError && (code === undefined || error.code === code);
}
