import { cors as honoCors } from "hono/cors";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../http/env";
import { isTrustedOrigin } from "../http/origin";

/**
 * CORS for the trusted origins only (http/origin.ts: islet's own, those in `CORS_ORIGINS`, and on a
 * local stack any loopback port, so a Vite or Next dev server is not refused); no wildcard,
 * credentials allowed.
 */
export const cors = createMiddleware<AppEnv>(async (c, next) => {
  const config = c.get("config");
  return honoCors({
    origin: (origin) => (isTrustedOrigin(config, origin) ? origin : null),
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
