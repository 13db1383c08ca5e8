// The dashboard (DESIGN §13): server-rendered pages that call the same service verbs as the API,
// under the page CSP, with the browser session and form guard of ./session.
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { gatekeeper } from "../middleware/gatekeeper";
import { loadWorkspace } from "../middleware/workspace";
import type { AppEnv } from "../types";
import { assetRoutes } from "./assets";
import { pageError } from "./kit";
import { auditPages } from "./pages/audit";
import { authPages } from "./pages/auth";
import { codePages } from "./pages/code";
import { keyPages } from "./pages/keys";
import { tablePages } from "./pages/tables";
import { teamPages } from "./pages/team";
import { workspacePages } from "./pages/workspaces";
import { cspReportRoutes } from "./reports";
import { formGuard, pageSession, signedIn } from "./session";

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
const requireUser = createMiddleware<AppEnv>(async (c, next) => {
  if (signedIn(c)) return next();
  const back = c.req.method === "GET" ? c.req.path + (new URL(c.req.url).search || "") : "/app";
  return c.redirect(`/login?next=${encodeURIComponent(back)}`, 303);
});

export function uiRoutes() {
  const ui = new Hono<AppEnv>();
  ui.onError(pageError);
  ui.route("/", assetRoutes);
  ui.route("/", cspReportRoutes);
  for (const path of PAGE_PATHS) ui.use(path, pageSession, formGuard);
  ui.use("/app/*", requireUser);
  ui.use("/app/w/:workspaceId/*", loadWorkspace);
  for (const path of PAGE_PATHS) ui.use(path, gatekeeper);
  ui.route("/", authPages);
  ui.route("/", workspacePages);
  ui.route("/", tablePages);
  ui.route("/", keyPages);
  ui.route("/", auditPages);
  ui.route("/", teamPages);
  ui.route("/", codePages);
  return ui;
}
