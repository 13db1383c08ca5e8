import { Hono } from "hono";
import { z } from "zod";
import { ApiError } from "../../lib/errors";
import { REGIONS } from "../../lib/tenancy";
import { validate } from "../../lib/validate";
import {
  currentSession,
  listMySessions,
  login,
  logout,
  refreshSession,
  revokeMySession,
  signup,
} from "../../services/auth";
import type { AppEnv } from "../../types";
import {
  assertCookieOrigin,
  clearSessionCookies,
  refreshCookie,
  sessionBody,
  setSessionCookies,
  wantsCookies,
} from "./cookies";
import { oidcRoutes } from "./oidc";
import { passwordRoutes } from "./password";

/** Addresses as RFC 5321 allows them (254 octets), compared case-insensitively. */
export const email = z.email().max(254);
/** The policy (12–256 characters, not breached) is the service's: too short is `weak_password`. */
export const newPassword = z.string().max(4096);
const signupBody = z.strictObject({
  email,
  password: newPassword,
  name: z.string().trim().min(1).max(100).optional(),
  region: z.enum(REGIONS),
});
const loginBody = z.strictObject({ email, password: z.string().min(1).max(4096) });
const refreshToken = z.string().regex(/^[0-9a-f]{64}$/, "must be a refresh token");
const refreshBody = z.strictObject({ refreshToken: refreshToken.optional() }).optional();
const sessionParam = z.object({ sessionId: z.string().regex(/^ses_[0-9a-z]{26}$/, "must be a session id") });

/**
 * `/v1/auth`: accounts and sessions (DESIGN §3). `?mode=cookie` selects browser sessions
 * (HttpOnly `__Host-` cookies + CSRF token); otherwise tokens are returned for Bearer use.
 */
export const authRoutes = new Hono<AppEnv>()
  .post("/signup", validate("json", signupBody), async (c) => {
    const cookies = wantsCookies(c);
    if (cookies) assertCookieOrigin(c);
    const { user, workspace, session } = await signup({ ctx: c.var.ctx, input: c.req.valid("json") });
    if (cookies) setSessionCookies(c, session);
    return c.json({ user, workspace, session: sessionBody(session, cookies) }, 201);
  })
  .post("/login", validate("json", loginBody), async (c) => {
    const cookies = wantsCookies(c);
    if (cookies) assertCookieOrigin(c);
    const { user, session } = await login({ ctx: c.var.ctx, input: c.req.valid("json") });
    if (cookies) setSessionCookies(c, session);
    return c.json({ user, session: sessionBody(session, cookies) });
  })
  .post("/refresh", validate("json", refreshBody), async (c) => {
    const fromBody = c.req.valid("json")?.refreshToken;
    const cookies = fromBody === undefined;
    try {
      const token = fromBody ?? refreshToken.safeParse(refreshCookie(c)).data;
      if (token === undefined) throw new ApiError("unauthorized", "A refresh token is required");
      const session = await refreshSession({ ctx: c.var.ctx, input: { refreshToken: token } });
      if (cookies) setSessionCookies(c, session);
      return c.json({ session: sessionBody(session, cookies) });
    } catch (error) {
      // A browser whose refresh failed is signed out: drop cookies that can no longer work.
      if (cookies && error instanceof ApiError && error.status === 401) clearSessionCookies(c);
      throw error;
    }
  })
  .post("/logout", validate("json", refreshBody), async (c) => {
    const token = c.req.valid("json")?.refreshToken ?? refreshCookie(c);
    await logout({ ctx: c.var.ctx, input: { refreshToken: token } });
    clearSessionCookies(c);
    return c.body(null, 204);
  })
  .get("/session", async (c) => c.json(await currentSession({ ctx: c.var.ctx })))
  .get("/sessions", async (c) => c.json({ sessions: await listMySessions({ ctx: c.var.ctx }) }))
  .delete("/sessions/:sessionId", validate("param", sessionParam), async (c) => {
    await revokeMySession({ ctx: c.var.ctx, input: c.req.valid("param") });
    return c.body(null, 204);
  })
  .route("/", passwordRoutes)
  .route("/oidc", oidcRoutes);
