import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../http/env";
import { createLogger } from "../lib/logger";

/** One access line per request: method, path (no query string: it may carry tokens), status, time. */
export const requestLogger = createMiddleware<AppEnv>(async (c, next) => {
  const logger = createLogger({ requestId: c.get("requestId") });
  c.set("logger", logger);
  const started = Date.now();
  await next();
  const actor = c.get("actor");
  logger.info("request", {
    method: c.req.method,
    path: c.req.path,
    status: c.res.status,
    durationMs: Date.now() - started,
    actor: actor.type,
  });
});
