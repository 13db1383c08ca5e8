import type { Context, ErrorHandler, Hono, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../http/env";
import { ApiError, errorEnvelope } from "../lib/errors";
import { createLogger } from "../lib/logger";
import { asApiError } from "../services/core/errors";

/** Renders any error as the one JSON envelope. Internals never reach the wire. */
export function renderError(c: Context<AppEnv>, error: ApiError): Response {
  const res = c.json(errorEnvelope(error, c.get("requestId") ?? "unknown"), error.status);
  for (const [name, value] of Object.entries(error.headers)) res.headers.set(name, value);
  return res;
}

function fromHttpException(e: HTTPException): ApiError {
  if (e.status === 413) return new ApiError("payload_too_large", "Request body is too large");
  if (e.status === 400 && /malformed json/i.test(e.message)) {
    return new ApiError("invalid_json", "Request body is not valid JSON");
  }
  if (e.status === 400) return new ApiError("invalid_request", e.message || "Bad request");
  if (e.status === 415)
    return new ApiError("unsupported_media_type", "Request body must be application/json");
  if (e.status === 401) return new ApiError("unauthorized", "Authentication required");
  if (e.status === 403) return new ApiError("forbidden", "Forbidden");
  return new ApiError("internal_error", "Internal error");
}

export const onError: ErrorHandler<AppEnv> = (err, c) => {
  if (err instanceof HTTPException && err.status < 500) return renderError(c, fromHttpException(err));
  return renderError(c, asApiError(err, c.get("logger") ?? createLogger({ requestId: c.get("requestId") })));
};

/**
 * Unknown path → 404; known path with another method → 405 with `Allow` (RFC 9110 §15.5.6).
 * Hono has no 405 of its own, so the route table is matched here.
 */
export function notFoundHandler(app: Hono<AppEnv>): NotFoundHandler<AppEnv> {
  let table: { method: string; pattern: RegExp }[] | undefined;
  return (c) => {
    table ??= app.routes
      .filter((r) => r.method !== "ALL")
      .map((r) => ({
        method: r.method,
        pattern: new RegExp(
          `^${r.path
            .replace(/[.+?^${}()|[\]\\]/g, "\\$&")
            .replace(/\/\*$/, "(?:/.*)?")
            .replace(/\*/g, ".*")
            .replace(/:[A-Za-z0-9_]+/g, "[^/]+")}/?$`,
        ),
      }));
    const allowed = [...new Set(table.filter((r) => r.pattern.test(c.req.path)).map((r) => r.method))];
    // A route of this method that found nothing (c.notFound()) is a 404, not a 405.
    if (allowed.length > 0 && !allowed.includes(c.req.method)) {
      return renderError(
        c,
        new ApiError("method_not_allowed", `Method ${c.req.method} is not allowed here`, {
          headers: { Allow: allowed.join(", ") },
        }),
      );
    }
    return renderError(c, new ApiError("not_found", "No such route"));
  };
}
