import { ApiError, ApiErrorCode } from "./errors.js";

/** One failure of a JSON schema check (ajv's shape). */
export interface SchemaIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** "/vectors/0/vector/3" -> "vectors[0].vector[3]" */
function fieldOf(instancePath: string, missing?: string): string {
  const parts = instancePath.split("/").filter(Boolean);
  if (missing) parts.push(missing);
  let out = "";
  for (const part of parts) out += /^\d+$/.test(part) ? `[${part}]` : out ? `.${part}` : part;
  return out;
}

/** A schema failure as the API error that names the field (`context`: body, params...). */
export function schemaIssueError(
  issue: SchemaIssue | undefined,
  context: string,
  fallback: string,
): ApiError {
  if (!issue) return new ApiError(ApiErrorCode.InvalidRequest, fallback, { in: context });
  const missing = issue.keyword === "required" ? String(issue.params.missingProperty) : undefined;
  const extra =
    issue.keyword === "additionalProperties" ? String(issue.params.additionalProperty) : undefined;
  const field = fieldOf(issue.instancePath, missing ?? extra) || context;
  const message =
    missing !== undefined
      ? "is required"
      : extra !== undefined
        ? "is not a known field"
        : (issue.message ?? "is invalid");
  return new ApiError(ApiErrorCode.InvalidRequest, `${field} ${message}`, {
    field,
    in: context,
    rule: issue.keyword,
  });
}
