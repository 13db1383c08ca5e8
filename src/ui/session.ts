// The dashboard's browser session (architecture §13): the same HttpOnly `__Host-` cookies as the API's
// cookie mode, refreshed server-side when the access cookie has lapsed, and a CSRF token every
// form carries as a hidden field (double submit against the `__Host-islet_csrf` cookie) beside
// an Origin / Sec-Fetch-Site check. Pages call service verbs with the resulting actor.
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { userActor } from "../http/actor";
import {
  ACCESS_COOKIE,
  CSRF_COOKIE,
  clearSessionCookies,
  refreshCookie,
  setCsrfCookie,
  setSessionCookies,
} from "../http/cookies";
import type { AppEnv } from "../http/env";
import { FormFields } from "../http/form";
import { isOwnFormPost } from "../http/origin";
import { randomToken, timingSafeEqual } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import { verifyAccessToken } from "../lib/jwt";
import { refreshSession, refreshToken } from "../services/auth";

export const CSRF_FIELD = "_csrf";

/**
 * Signs the browser in from its cookies: the access cookie if it verifies, else the refresh
 * cookie, rotated here (new cookies on this response). A browser whose cookies no longer work
 * is signed out (cookies cleared) and browses as anonymous. Also guarantees a CSRF cookie, so
 * that even the sign-in form carries a token.
 */
export const pageSession = createMiddleware<AppEnv>(async (c, next) => {
  // Once per request, whatever matched: a second pass would rotate the refresh token again.
  if (c.get("csrfToken") !== undefined) return next();
  const config = c.get("config");
  let csrf = getCookie(c, CSRF_COOKIE);
  const access = getCookie(c, ACCESS_COOKIE);
  let claims = access ? await verifyAccessToken(config, access).catch(() => undefined) : undefined;
  if (!claims) {
    const presented = refreshToken.safeParse(refreshCookie(c));
    if (presented.success) {
      try {
        const session = await refreshSession({ ctx: c.var.ctx, input: { refreshToken: presented.data } });
        setSessionCookies(c, session);
        csrf = session.csrfToken;
        claims = await verifyAccessToken(config, session.accessToken);
      } catch (error) {
        if (!(error instanceof ApiError) || error.status >= 500) throw error;
        clearSessionCookies(c);
        csrf = undefined;
      }
    } else if (access) {
      clearSessionCookies(c);
      csrf = undefined;
    }
  }
  if (claims) {
    c.set("actor", userActor(claims));
    c.set("authVia", "cookie");
  }
  if (!csrf) {
    csrf = randomToken();
    setCsrfCookie(c, csrf);
  }
  c.set("csrfToken", csrf);
  // Pages carry this response's nonce and CSRF token: never cached, never shared.
  c.header("Cache-Control", "no-store");
  await next();
});

const refused = (why: string) =>
  new ApiError("csrf_failed", `This form was refused: ${why}. Reload the page and try again.`);

/**
 * Every POST a page receives is a form from islet's own pages: same origin (Origin, and
 * Sec-Fetch-Site where the browser sends it), urlencoded or multipart, and carrying the CSRF
 * token of this browser. The parsed fields are handed to the handler.
 */
export const formGuard = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.method !== "POST") return next();
  // The stricter, form-post variant of the trusted-origin rule (http/origin.ts says why).
  if (!isOwnFormPost(c.get("config"), c.req.header("Origin"), c.req.header("Sec-Fetch-Site"))) {
    throw refused("it came from another site");
  }
  const type = c.req.header("Content-Type") ?? "";
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(type)) {
    throw new ApiError("unsupported_media_type", "Forms are sent as application/x-www-form-urlencoded");
  }
  const form = new FormFields(await c.req.parseBody({ all: true }));
  const cookie = getCookie(c, CSRF_COOKIE);
  const sent = form.text(CSRF_FIELD);
  if (!cookie || !sent || !timingSafeEqual(cookie, sent))
    throw refused("its security token is missing or stale");
  c.set("form", form);
  return next();
});

export const formOf = (c: Context<AppEnv>): FormFields => c.get("form") ?? new FormFields({});

/** The signed-in user, or a redirect to sign in (and back here afterwards). */
export function signedIn(c: Context<AppEnv>): { userId: string; sessionId: string } | undefined {
  const actor = c.get("actor");
  return actor?.type === "user" ? { userId: actor.userId, sessionId: actor.sessionId } : undefined;
}
