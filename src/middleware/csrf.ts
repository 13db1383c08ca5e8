import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { timingSafeEqual } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import type { AppEnv } from "../types";
import { ACCESS_COOKIE } from "./authenticate";
import { isTrustedOrigin } from "./origin";

/** Double-submit token: readable by the page's script, sent back as `X-CSRF-Token`. */
export const CSRF_COOKIE = "__Host-islet_csrf";
/** The refresh token's cookie (set by /v1/auth in cookie mode). */
export const REFRESH_COOKIE = "__Host-islet_refresh";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Cookie-authenticated state changes need proof the request came from islet's own pages: a
 * matching `X-CSRF-Token` (double submit) or an `Origin` that is islet's own or allowlisted.
 * Bearer-token requests are not exposed to CSRF (browsers never attach them on their own).
 */
export const csrf = createMiddleware<AppEnv>(async (c, next) => {
  if (SAFE_METHODS.has(c.req.method)) return next();
  // The refresh cookie counts too: refresh and logout act on it after the access cookie expired.
  const usesCookie =
    c.req.header("Authorization") === undefined &&
    (getCookie(c, ACCESS_COOKIE) !== undefined || getCookie(c, REFRESH_COOKIE) !== undefined);
  if (!usesCookie) return next();
  const cookieToken = getCookie(c, CSRF_COOKIE);
  const headerToken = c.req.header("X-CSRF-Token");
  if (cookieToken && headerToken && timingSafeEqual(cookieToken, headerToken)) return next();
  const origin = c.req.header("Origin");
  if (origin && isTrustedOrigin(c.get("config"), origin) && headerToken) return next();
  throw new ApiError("csrf_failed", "Missing or invalid CSRF token");
});
