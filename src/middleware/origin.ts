import { createMiddleware } from "hono/factory";
import type { Config } from "../env";
import { ApiError } from "../lib/errors";
import type { AppEnv } from "../types";

/**
 * The one trusted-origin rule: islet's own origin (PUBLIC_URL's) and those listed in CORS_ORIGINS.
 * CSRF, cookie sign-in and the agent surfaces all ask it.
 */
export function isTrustedOrigin(
  config: Pick<Config, "PUBLIC_URL" | "CORS_ORIGINS">,
  origin: string,
): boolean {
  return origin === new URL(config.PUBLIC_URL).origin || config.CORS_ORIGINS.includes(origin);
}

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
