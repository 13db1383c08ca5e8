import { TenantNotReadyError } from "../../db/tenant/client";
import { deadlineIn } from "../../lib/deadline";
import { ApiError } from "../../lib/errors";
import type { Logger } from "../../lib/logger";

/**
 * A backing service (control or tenant database) that cannot be reached, or stays locked past its
 * busy timeout, is an outage, not a bug: 503 so clients retry.
 */
function isUnreachableBackend(err: Error): boolean {
  const text = `${err.name} ${err.message} ${err.cause instanceof Error ? err.cause.message : ""}`;
  return /network connection lost|fetch failed|SQLITE_BUSY|database is locked|connection refused|ECONNREFUSED|HttpServerError|Server returned HTTP status 5\d\d/i.test(
    text,
  );
}

/**
 * Any thrown value as the one error every transport renders (REST's envelope, an MCP tool
 * result, a socket's error frame). Unexpected errors are logged (message and stack only, never
 * request data) and come out as a generic `internal_error` that reveals nothing.
 */
export function asApiError(err: unknown, logger: Logger): ApiError {
  if (err instanceof ApiError) return err;
  const deadline = deadlineIn(err);
  if (deadline) {
    logger.warn("deadline passed", { what: deadline.what, ms: deadline.ms });
    return new ApiError("unavailable", `${deadline.message}; retry shortly`, {
      headers: { "Retry-After": "1" },
      details: { deadline: deadline.what },
    });
  }
  if (err instanceof TenantNotReadyError) {
    return new ApiError("unavailable", err.message, { headers: { "Retry-After": "1" } });
  }
  if (err instanceof Error && isUnreachableBackend(err)) {
    logger.error("backing service unreachable", { error: err.message });
    return new ApiError("unavailable", "A backing service is unavailable; retry shortly", {
      headers: { "Retry-After": "1" },
    });
  }
  logger.error("unhandled error", {
    error: err instanceof Error ? err.message : String(err),
    stack: err instanceof Error ? err.stack : undefined,
  });
  return new ApiError("internal_error", "Internal error");
}
