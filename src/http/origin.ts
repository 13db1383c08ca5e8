import type { Context } from "hono";
import type { Config } from "../config";
import { ApiError } from "../lib/errors";
import type { AppEnv } from "./env";

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
 * Login CSRF: a cookie-mode sign-in must not be triggerable from another site (it would sign
 * the victim in to the attacker's account). Browsers send `Origin` on cross-origin POSTs; it
 * must be islet's own or allowlisted.
 */
export function assertCookieOrigin(c: Context<AppEnv>): void {
  const origin = c.req.header("Origin");
  if (origin === undefined) return;
  if (isTrustedOrigin(c.get("config"), origin)) return;
  throw new ApiError("csrf_failed", "Cross-site sign-in is not allowed");
}

/**
 * The intended stricter variant, for the dashboard's own form posts (ui/session.ts formGuard): a
 * page posts only to the origin that served it, so only islet's own origin counts (not
 * CORS_ORIGINS, not loopback), and `Sec-Fetch-Site`, where the browser sends it, must say
 * same-origin (or none: typed by the user). Pages are served with `Referrer-Policy: no-referrer`
 * (middleware/secure-headers.ts), under which a browser sends `Origin: null` on islet's own form
 * posts; that is accepted only with the browser's own word (Sec-Fetch-Site) that it is
 * same-origin. The API's rule above never accepts `Origin: null`: API clients are not pages.
 */
export function isOwnFormPost(
  config: Pick<Config, "PUBLIC_URL">,
  origin: string | undefined,
  site: string | undefined,
): boolean {
  if (site !== undefined && site !== "same-origin" && site !== "none") return false;
  if (origin === undefined) return true;
  return origin === new URL(config.PUBLIC_URL).origin || (origin === "null" && site === "same-origin");
}
