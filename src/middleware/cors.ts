import { cors as honoCors } from "hono/cors";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../http/env";

/** CORS for the origins listed in `CORS_ORIGINS` only; no wildcard, credentials allowed. */
export const cors = createMiddleware<AppEnv>(async (c, next) => {
  const allowed = c.get("config").CORS_ORIGINS;
  return honoCors({
    origin: (origin) => (allowed.includes(origin) ? origin : null),
    credentials: true,
    allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    allowHeaders: ["Content-Type", "Authorization", "X-CSRF-Token", "Idempotency-Key"],
    exposeHeaders: [
      "X-Request-Id",
      "RateLimit-Limit",
      "RateLimit-Remaining",
      "RateLimit-Reset",
      "Retry-After",
      "Idempotent-Replayed",
    ],
    maxAge: 600,
  })(c, next);
});
