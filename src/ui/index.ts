// The dashboard (architecture §13): server-rendered pages that call the same service verbs as the API,
// under the page CSP, with the browser session and form guard of ./session.
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../http/env";
import { accountPages } from "./pages/account";
import { auditPages } from "./pages/audit";
import { connectPages } from "./pages/connect";
import { functionPages } from "./pages/functions";
import { invitationPages } from "./pages/invitation";
import { issuerPages } from "./pages/issuers";
import { keyPages } from "./pages/keys";
import { memberPages } from "./pages/members";
import { outboxPages } from "./pages/outbox";
import { passwordResetPages } from "./pages/password-reset";
import { rowPages } from "./pages/rows";
import { secretPages } from "./pages/secrets";
import { settingsPages } from "./pages/settings";
import { signInPages } from "./pages/signin";
import { sqlPages } from "./pages/sql";
import { tableSchemaPages } from "./pages/table-schema";
import { tablePages } from "./pages/tables";
import { usagePages } from "./pages/usage";
import { verifyEmailPages } from "./pages/verify-email";
import { webhookPages } from "./pages/webhooks";
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
  "/invitations/forget",
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
 * Every page, in one sub-app: one router per resource, each in its own file under ./pages.
 * src/app.ts mounts it behind the dashboard's pipeline (session, form guard, sign-in, workspace,
 * Gatekeeper), under `pageError`, so errors are pages too. A new page's paths must be covered by
 * PAGE_PATHS above, or that pipeline does not run for it.
 */
export const pageRoutes = new Hono<AppEnv>()
  // Signed out: signing in, the links emails carry, the dev outbox.
  .route("/", signInPages)
  .route("/", verifyEmailPages)
  .route("/", passwordResetPages)
  .route("/", invitationPages)
  .route("/", outboxPages)
  // The signed-in person's own: workspaces and the account.
  .route("/", workspacePages)
  .route("/", accountPages)
  // One workspace's sections, in the side navigation's order.
  .route("/", tablePages)
  .route("/", tableSchemaPages)
  .route("/", rowPages)
  .route("/", sqlPages)
  .route("/", functionPages)
  .route("/", keyPages)
  .route("/", memberPages)
  .route("/", secretPages)
  .route("/", webhookPages)
  .route("/", issuerPages)
  .route("/", auditPages)
  .route("/", usagePages)
  .route("/", connectPages)
  .route("/", settingsPages);

export { assetRoutes } from "./assets";
export { pageError } from "./kit";
export { cspReportBodyLimit, cspReportRoutes } from "./reports";
export { formGuard, pageSession } from "./session";
