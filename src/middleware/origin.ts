import { createMiddleware } from "hono/factory";
import type { Config } from "../env";
import { ApiError } from "../lib/errors";
import type { AppEnv } from "../types";

/** A page served from this machine, on any port: a local dev server, a tool's local proxy. */
const LOOPBACK_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

/**
 * The one trusted-origin rule: islet's own origin (PUBLIC_URL's) and those listed in CORS_ORIGINS;
 * on a local stack (`ISLET_INSECURE_LOCAL=1`, never in production) also any loopback origin,
 * whatever its port, so a dev server or a local MCP client on another port is not refused. A
 * rebinding page keeps its own origin (`http://attacker.example`) and stays refused.
 * CSRF, cookie sign-in and the agent surfaces all ask it.
 */
export function isTrustedOrigin(
  config: Pick<Config, "PUBLIC_URL" | "CORS_ORIGINS" | "ISLET_INSECURE_LOCAL" | "ENVIRONMENT">,
  origin: string,
): boolean {
  if (origin === new URL(config.PUBLIC_URL).origin || config.CORS_ORIGINS.includes(origin)) return true;
  return config.ISLET_INSECURE_LOCAL && config.ENVIRONMENT !== "production" && LOOPBACK_ORIGIN.test(origin);
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
