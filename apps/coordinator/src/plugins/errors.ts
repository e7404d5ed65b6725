import {
  ApiError,
  ApiErrorCode,
  isApiError,
  type SchemaIssue,
  schemaIssueError,
} from "@quiver/api";
import type { FastifyError, FastifyInstance } from "fastify";
import fp from "fastify-plugin";

/** A schema failure as an API error naming the field. */
function validationError(error: FastifyError): ApiError {
  const issue = (error.validation as SchemaIssue[] | undefined)?.[0];
  return schemaIssueError(issue, error.validationContext ?? "body", error.message);
}

/** Turns a framework error (parsing, limits, routing) into the API's error format. */
function frameworkError(error: FastifyError): ApiError | undefined {
  switch (error.code) {
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new ApiError(ApiErrorCode.MalformedJson, `body is not valid JSON: ${error.message}`, {
        field: "body",
      });
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new ApiError(ApiErrorCode.PayloadTooLarge, `body is larger than the server's limit`, {
        field: "body",
      });
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new ApiError(
        ApiErrorCode.UnsupportedMediaType,
        "body must be JSON (content-type: application/json)",
        { field: "content-type" },
      );
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return new ApiError(ApiErrorCode.InvalidRequest, "content-length does not match the body", {
        field: "content-length",
      });
  }
  if (typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500) {
    return new ApiError(ApiErrorCode.InvalidRequest, error.message, {}, error.statusCode);
  }
  return undefined;
}

/** One error handler: every error leaves as {"error": {"code", "message", "details"}}. */
export const errorsPlugin = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      let apiError: ApiError;
      if (isApiError(error)) apiError = error;
      else if (error.validation) apiError = validationError(error);
      else {
        const mapped = frameworkError(error);
        if (mapped) apiError = mapped;
        else {
          request.log.error({ err: error }, "request failed");
          apiError = new ApiError(ApiErrorCode.Internal, "internal error; see the server log", {
            request_id: request.id,
          });
        }
      }
      void reply.status(apiError.status).send(apiError.toBody());
    });
    app.setNotFoundHandler((request, reply) => {
      void reply.status(404).send(
        new ApiError(ApiErrorCode.NotFound, `no route ${request.method} ${request.url}`, {
          method: request.method,
          url: request.url,
        }).toBody(),
      );
    });
  },
  { name: "errors" },
);
