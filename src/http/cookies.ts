import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { CookieOptions } from "hono/utils/cookie";
import type { AppEnv } from "./env";

// Every cookie islet sets, and how. All are `__Host-` cookies: Secure, Path=/, no Domain
// (RFC 6265bis §4.1.3.2).

/** Browser sessions carry the access token in this cookie. */
export const ACCESS_COOKIE = "__Host-islet_access";
/** The refresh token's cookie (set by /v1/auth in cookie mode, and by the dashboard's session). */
export const REFRESH_COOKIE = "__Host-islet_refresh";
/** Double-submit token: readable by the page's script, sent back as `X-CSRF-Token` (or a form's `_csrf`). */
export const CSRF_COOKIE = "__Host-islet_csrf";
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

/** What a session's cookies are made of (an issued or refreshed session, services/auth). */
interface SessionCookies {
  accessToken: string;
  refreshToken: string;
  csrfToken: string;
  refreshExpiresAt: number;
}

export function setSessionCookies(c: Context<AppEnv>, session: SessionCookies): void {
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

/** The dashboard's CSRF cookie for a browser that has none yet (no session: it lasts the browser session). */
export function setCsrfCookie(c: Context<AppEnv>, token: string): void {
  setCookie(c, CSRF_COOKIE, token, { ...base, httpOnly: false });
}

/**
 * An invitation being followed through sign-in or sign-up: the token from the emailed link, kept
 * HttpOnly so the dashboard can take it out of the address bar (no token in history, or in the
 * `next=` of a sign-in) and carry it to the sign-up form without a hidden field in a URL.
 */
export const INVITATION_COOKIE = "__Host-islet_invitation";

/**
 * How long a followed link is remembered: long enough to sign up or sign in, short enough that a
 * link someone else made this browser follow does not sit in its sign-up form for days.
 */
const INVITATION_FOLLOW_S = 3_600;

export function setInvitationCookie(c: Context<AppEnv>, token: string, expiresAt: number): void {
  const maxAge = Math.max(0, Math.min(INVITATION_FOLLOW_S, Math.floor((expiresAt - Date.now()) / 1000)));
  setCookie(c, INVITATION_COOKIE, token, { ...base, httpOnly: true, maxAge });
}

export const invitationCookie = (c: Context<AppEnv>) => getCookie(c, INVITATION_COOKIE);

export function clearInvitationCookie(c: Context<AppEnv>): void {
  deleteCookie(c, INVITATION_COOKIE, { ...base });
}
