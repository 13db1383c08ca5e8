import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { ACCESS_COOKIE, CSRF_COOKIE, REFRESH_COOKIE } from "../http/cookies";
import type { AppEnv } from "../http/env";
import { isTrustedOrigin } from "../http/origin";
import { timingSafeEqual } from "../lib/crypto";
import { ApiError } from "../lib/errors";

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
