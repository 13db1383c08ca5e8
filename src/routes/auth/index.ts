import { z } from "@hono/zod-openapi";
import { clearSessionCookies, refreshCookie, setSessionCookies, wantsCookies } from "../../http/cookies";
import { json, jsonBody, named, noContent, operation, router, SECURITY } from "../../http/openapi";
import { assertCookieOrigin } from "../../http/origin";
import { ApiError } from "../../lib/errors";
import {
  CurrentSession,
  currentSession,
  listMySessions,
  login,
  loginInput,
  logout,
  refreshBody,
  refreshSession,
  refreshToken,
  revokeMySession,
  SessionInfo,
  SessionTokens,
  sessionTarget,
  signup,
  signupInput,
  User,
  WorkspaceSummary,
} from "../../services/auth";
import { Joined } from "../../services/members";
import { oidcRoutes } from "./oidc";
import { passwordRoutes } from "./password";
import { sessionBody } from "./session";

export const Session = named(SessionTokens, "SessionTokens");
const modeQuery = z.object({
  mode: z
    .string()
    .optional()
    .openapi({ description: "`cookie`: a browser session in HttpOnly cookies; otherwise bearer tokens" }),
});
const UserView = named(User, "User");
const tags = ["Auth"];

/**
 * `/v1/auth`: accounts and sessions (architecture §3). `?mode=cookie` selects browser sessions
 * (HttpOnly `__Host-` cookies + CSRF token); otherwise tokens are returned for Bearer use.
 */
export const authRoutes = router()
  .openapi(
    operation({
      operationId: "signUp",
      method: "post",
      path: "/signup",
      tags,
      security: SECURITY.none,
      summary:
        "Create an account (its personal workspace and database, or an invitation's workspace); signs in",
      description:
        "With `invitationToken` (the token of an invitation to the same address) the account joins the " +
        "inviting workspace instead of getting a personal one, and starts verified when the invitation " +
        "was emailed to that address; `region` is then not needed.",
      request: {
        query: modeQuery,
        body: jsonBody(signupInput, true, {
          email: "ada@example.com",
          password: "a long passphrase of yours",
          region: "eu-west",
        }),
      },
      responses: {
        201: json(
          z.object({
            user: UserView,
            workspace: named(WorkspaceSummary, "WorkspaceSummary")
              .nullable()
              .openapi({ description: "null while an invitation waits for the address to be verified" }),
            session: Session,
            joined: named(Joined, "Joined").optional(),
          }),
          "Signed up and signed in",
        ),
      },
      errors: [403, 404, 409, 410],
    }),
    async (c) => {
      const cookies = wantsCookies(c);
      if (cookies) assertCookieOrigin(c);
      const { user, workspace, session, joined } = await signup({
        ctx: c.var.ctx,
        input: c.req.valid("json"),
      });
      if (cookies) setSessionCookies(c, session);
      return c.json(
        { user, workspace, session: sessionBody(session, cookies), ...(joined ? { joined } : {}) },
        201,
      );
    },
  )
  .openapi(
    operation({
      operationId: "logIn",
      method: "post",
      path: "/login",
      tags,
      security: SECURITY.none,
      summary: "Sign in with email and password",
      request: {
        query: modeQuery,
        body: jsonBody(loginInput, true, {
          email: "ada@example.com",
          password: "a long passphrase of yours",
        }),
      },
      responses: { 200: json(z.object({ user: UserView, session: Session }), "Signed in") },
    }),
    async (c) => {
      const cookies = wantsCookies(c);
      if (cookies) assertCookieOrigin(c);
      const { user, session } = await login({ ctx: c.var.ctx, input: c.req.valid("json") });
      if (cookies) setSessionCookies(c, session);
      return c.json({ user, session: sessionBody(session, cookies) }, 200);
    },
  )
  .openapi(
    operation({
      operationId: "refreshSession",
      method: "post",
      path: "/refresh",
      tags,
      security: SECURITY.none,
      summary: "Rotate the refresh token (body, or the refresh cookie) for a new session",
      request: { body: jsonBody(refreshBody, false) },
      responses: { 200: json(z.object({ session: Session }), "The rotated session") },
    }),
    async (c) => {
      const fromBody = c.req.valid("json").refreshToken;
      const cookies = fromBody === undefined;
      try {
        const token = fromBody ?? refreshToken.safeParse(refreshCookie(c)).data;
        if (token === undefined) throw new ApiError("unauthorized", "A refresh token is required");
        const session = await refreshSession({ ctx: c.var.ctx, input: { refreshToken: token } });
        if (cookies) setSessionCookies(c, session);
        return c.json({ session: sessionBody(session, cookies) }, 200);
      } catch (error) {
        // A browser whose refresh failed is signed out: drop cookies that can no longer work.
        if (cookies && error instanceof ApiError && error.status === 401) clearSessionCookies(c);
        throw error;
      }
    },
  )
  .openapi(
    operation({
      operationId: "logOut",
      method: "post",
      path: "/logout",
      tags,
      security: SECURITY.none,
      summary: "End the session of a refresh token (body, or the refresh cookie)",
      request: { body: jsonBody(refreshBody, false) },
      responses: { 204: noContent("Signed out") },
    }),
    async (c) => {
      const token = c.req.valid("json").refreshToken ?? refreshCookie(c);
      await logout({ ctx: c.var.ctx, input: { refreshToken: token } });
      clearSessionCookies(c);
      return c.body(null, 204);
    },
  )
  .openapi(
    operation({
      operationId: "getSession",
      method: "get",
      path: "/session",
      tags,
      security: SECURITY.user,
      summary: "Who is signed in, on which session",
      responses: { 200: json(named(CurrentSession, "CurrentSession"), "The session") },
    }),
    async (c) => c.json(await currentSession({ ctx: c.var.ctx }), 200),
  )
  .openapi(
    operation({
      operationId: "listSessions",
      method: "get",
      path: "/sessions",
      tags,
      security: SECURITY.user,
      summary: "The signed-in user's live sessions",
      responses: {
        200: json(z.object({ sessions: z.array(named(SessionInfo, "SessionInfo")) }), "Sessions"),
      },
    }),
    async (c) => c.json({ sessions: await listMySessions({ ctx: c.var.ctx }) }, 200),
  )
  .openapi(
    operation({
      operationId: "deleteSession",
      method: "delete",
      path: "/sessions/{sessionId}",
      tags,
      security: SECURITY.user,
      summary: "Sign out one of your sessions",
      request: { params: sessionTarget },
      responses: { 204: noContent("Revoked") },
    }),
    async (c) => {
      await revokeMySession({ ctx: c.var.ctx, input: c.req.valid("param") });
      return c.body(null, 204);
    },
  )
  .route("/", passwordRoutes)
  .route("/oidc", oidcRoutes);
