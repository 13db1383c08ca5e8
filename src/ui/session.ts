// The dashboard's browser session (DESIGN §13): the same HttpOnly `__Host-` cookies as the API's
// cookie mode, refreshed server-side when the access cookie has lapsed, and a CSRF token every
// form carries as a hidden field (double submit against the `__Host-islet_csrf` cookie) beside
// an Origin / Sec-Fetch-Site check. Pages call service verbs with the resulting actor.
import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { randomToken, timingSafeEqual } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import { verifyAccessToken } from "../lib/jwt";
import {
  ACCESS_COOKIE,
  CSRF_COOKIE,
  clearSessionCookies,
  refreshCookie,
  setSessionCookies,
} from "../routes/auth/cookies";
import { refreshSession, refreshToken } from "../services/auth";
import type { AppEnv } from "../types";

export const CSRF_FIELD = "_csrf";

/** A submitted form's fields, read as strings (files are not accepted anywhere). */
export class FormFields {
  constructor(private readonly fields: Record<string, string | File | (string | File)[]>) {}

  /** The field's value, trimmed of nothing: what was typed. Absent → "". */
  text(name: string): string {
    const value = this.fields[name];
    const first = Array.isArray(value) ? value[0] : value;
    return typeof first === "string" ? first : "";
  }

  /** Optional text: "" becomes undefined. */
  optional(name: string): string | undefined {
    const value = this.text(name).trim();
    return value === "" ? undefined : value;
  }

  all(name: string): string[] {
    const value = this.fields[name];
    const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
    return list.filter((v): v is string => typeof v === "string");
  }

  checked(name: string): boolean {
    return this.text(name) !== "";
  }

  /** Every field name with a prefix, e.g. `col.` → the column inputs of a row form. */
  names(prefix: string): string[] {
    return Object.keys(this.fields).filter((name) => name.startsWith(prefix));
  }
}

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
    c.set("actor", { type: "user", userId: claims.sub, sessionId: claims.sid, issuedAt: claims.iat * 1000 });
    c.set("authVia", "cookie");
  }
  if (!csrf) {
    csrf = randomToken();
    setCookie(c, CSRF_COOKIE, csrf, { path: "/", secure: true, sameSite: "Lax", httpOnly: false });
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
  const own = new URL(c.get("config").PUBLIC_URL).origin;
  const origin = c.req.header("Origin");
  const site = c.req.header("Sec-Fetch-Site");
  if (site !== undefined && site !== "same-origin" && site !== "none")
    throw refused("it came from another site");
  // Under `Referrer-Policy: no-referrer` a browser sends `Origin: null` on islet's own form posts;
  // that is accepted only with the browser's own word (Sec-Fetch-Site) that it is same-origin.
  const sameOrigin = origin === own || (origin === "null" && site === "same-origin");
  if (origin !== undefined && !sameOrigin) throw refused("it came from another site");
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
