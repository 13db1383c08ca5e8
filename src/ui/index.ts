// The dashboard (DESIGN §13): server-rendered pages that call the same service verbs as the API,
// under the page CSP, with the browser session and form guard of ./session.
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../http/env";
import { auditPages } from "./pages/audit";
import { authPages } from "./pages/auth";
import { codePages } from "./pages/code";
import { keyPages } from "./pages/keys";
import { tablePages } from "./pages/tables";
import { teamPages } from "./pages/team";
import { workspacePages } from "./pages/workspaces";
import { signedIn } from "./session";

/** The paths the dashboard answers; its session and form guard run on these only. */
export const PAGE_PATHS = [
  "/",
  "/signup",
  "/login",
  "/logout",
  // `/x/*` matches `/x` too: each path once, or its middleware would run twice (and the second
  // session pass would present an already-rotated refresh token: reuse, the session revoked).
  "/verify-email/*",
  "/forgot-password",
  "/reset-password",
  "/invitations/accept",
  "/dev/outbox",
  "/app/*",
];

/** `/app/*` is for signed-in people: others go to sign in and come back. */
export const requireUser = createMiddleware<AppEnv>(async (c, next) => {
  if (signedIn(c)) return next();
  const back = c.req.method === "GET" ? c.req.path + (new URL(c.req.url).search || "") : "/app";
  return c.redirect(`/login?next=${encodeURIComponent(back)}`, 303);
});

/**
 * Every page, in one sub-app. src/app.ts mounts it behind the dashboard's pipeline (session, form
 * guard, sign-in, workspace, Gatekeeper), under `pageError`, so errors are pages too.
 */
export const pageRoutes = new Hono<AppEnv>()
  .route("/", authPages)
  .route("/", workspacePages)
  .route("/", tablePages)
  .route("/", keyPages)
  .route("/", auditPages)
  .route("/", teamPages)
  .route("/", codePages);

export { assetRoutes } from "./assets";
export { pageError } from "./kit";
export { cspReportBodyLimit, cspReportRoutes } from "./reports";
export { formGuard, pageSession } from "./session";
