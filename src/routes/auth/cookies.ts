import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { CookieOptions } from "hono/utils/cookie";
import { ApiError } from "../../lib/errors";
import { ACCESS_COOKIE } from "../../middleware/authenticate";
import { CSRF_COOKIE, REFRESH_COOKIE } from "../../middleware/csrf";
import { isTrustedOrigin } from "../../middleware/origin";
import type { IssuedSession } from "../../services/auth";
import type { AppEnv } from "../../types";

/** `__Host-` cookies: Secure, Path=/, no Domain (RFC 6265bis §4.1.3.2). */
export { ACCESS_COOKIE, CSRF_COOKIE, REFRESH_COOKIE };
/** Binds an OIDC authorization's `state` to the browser that started it. */
export const OIDC_COOKIE = "__Host-islet_oidc";

const base = { path: "/", secure: true, sameSite: "Lax" } satisfies CookieOptions;
/** A minute short of the token's 15: the browser drops it before the server would refuse it. */
const ACCESS_COOKIE_MAX_AGE = 14 * 60;

/**
 * Browser flows are chosen with `?mode=cookie`: tokens then travel only in HttpOnly cookies,
 * with a readable `__Host-islet_csrf` cookie for the double-submit check. Otherwise tokens are
 * returned in the body for `Authorization: Bearer` use.
 */
export const wantsCookies = (c: Context<AppEnv>) => c.req.query("mode") === "cookie";

export function setSessionCookies(c: Context<AppEnv>, session: IssuedSession): void {
  const refreshMaxAge = Math.floor((session.refreshExpiresAt - Date.now()) / 1000);
  setCookie(c, ACCESS_COOKIE, session.accessToken, {
    ...base,
    httpOnly: true,
    maxAge: ACCESS_COOKIE_MAX_AGE,
  });
  setCookie(c, REFRESH_COOKIE, session.refreshToken, { ...base, httpOnly: true, maxAge: refreshMaxAge });
  // Readable by the page's script, which echoes it in X-CSRF-Token.
  setCookie(c, CSRF_COOKIE, session.csrfToken, { ...base, httpOnly: false, maxAge: refreshMaxAge });
}

export function clearSessionCookies(c: Context<AppEnv>): void {
  for (const name of [ACCESS_COOKIE, REFRESH_COOKIE, CSRF_COOKIE]) deleteCookie(c, name, { ...base });
}

export const refreshCookie = (c: Context<AppEnv>) => getCookie(c, REFRESH_COOKIE);

export function setOidcCookie(c: Context<AppEnv>, state: string): void {
  setCookie(c, OIDC_COOKIE, state, { ...base, httpOnly: true, maxAge: 600 });
}

export function takeOidcCookie(c: Context<AppEnv>): string | undefined {
  const state = getCookie(c, OIDC_COOKIE);
  deleteCookie(c, OIDC_COOKIE, { ...base });
  return state;
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

/** What the body carries: tokens for API clients, only expiry times for cookie sessions. */
export function sessionBody(session: IssuedSession, cookies: boolean) {
  const common = {
    id: session.sessionId,
    accessExpiresAt: session.accessExpiresAt,
    refreshExpiresAt: session.refreshExpiresAt,
  };
  // The CSRF token too: a dashboard on another origin cannot read the host-only cookie.
  if (cookies) return { ...common, csrfToken: session.csrfToken };
  return {
    ...common,
    tokenType: "Bearer" as const,
    accessToken: session.accessToken,
    refreshToken: session.refreshToken,
  };
}
