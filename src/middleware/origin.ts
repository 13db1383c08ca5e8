import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../http/env";
import { isTrustedOrigin } from "../http/origin";
import { ApiError } from "../lib/errors";

/**
 * The agent surfaces (MCP over HTTP and WebSocket, realtime) refuse a request whose `Origin` is
 * present and not trusted, whatever its method and before anything else reads it: the MCP
 * transport specification (2025-06-18, Streamable HTTP "Security Warning") requires servers to
 * validate Origin and answer an invalid one with 403, against DNS rebinding; for sockets it is
 * cross-site WebSocket hijacking. Browsers always send Origin on these requests; agents and other
 * server-side clients send none and are unaffected.
 */
export const trustedOrigin = createMiddleware<AppEnv>(async (c, next) => {
  const origin = c.req.header("Origin");
  if (origin !== undefined && !isTrustedOrigin(c.get("config"), origin)) {
    throw new ApiError(
      "forbidden",
      "This Origin is not allowed: browsers may call islet only from its own origin or one listed in CORS_ORIGINS",
    );
  }
  return next();
});
