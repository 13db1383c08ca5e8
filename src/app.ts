import { Hono } from "hono";
import { CSP_REPORT_PATH } from "./http/csp";
import type { AppEnv } from "./http/env";
import { router } from "./http/openapi";
import { mcpRoutes } from "./mcp/http";
import { mcpSocketRoutes } from "./mcp/websocket";
import { authenticate } from "./middleware/authenticate";
import { bodyLimit } from "./middleware/body-limit";
import { requireConfig } from "./middleware/config";
import { cors } from "./middleware/cors";
import { csrf } from "./middleware/csrf";
import { deadline } from "./middleware/deadline";
import { notFoundHandler, onError } from "./middleware/errors";
import { gatekeeper } from "./middleware/gatekeeper";
import { requestLogger } from "./middleware/logger";
import { noStore } from "./middleware/no-store";
import { operatorAuthenticate } from "./middleware/operator";
import { trustedOrigin } from "./middleware/origin";
import { requestId } from "./middleware/request-id";
import { secureHeaders } from "./middleware/secure-headers";
import { serviceContext } from "./middleware/service-context";
import { credentialWorkspace, requireCarriedCredential, socketTicket } from "./middleware/socket";
import { loadWorkspace } from "./middleware/workspace";
import { accountRoutes, certificateRoutes } from "./routes/account";
import { accountsRoutes } from "./routes/accounts";
import { auditRoutes } from "./routes/audit";
import { authRoutes } from "./routes/auth";
import { devRoutes } from "./routes/dev";
import { docsRoutes } from "./routes/docs";
import { functionsRoutes } from "./routes/functions";
import { healthRoutes, policyRoutes, wellKnownRoutes } from "./routes/health";
import { keysRoutes } from "./routes/keys";
import { membersRoutes } from "./routes/members";
import { invitationsRoutes } from "./routes/members/invitations";
import { operatorRoutes } from "./routes/operator";
import { realtimeRoutes } from "./routes/realtime";
import { rowsRoutes } from "./routes/rows";
import { secretsRoutes } from "./routes/secrets";
import { sqlRoutes } from "./routes/sql";
import { tablesRoutes } from "./routes/tables";
import { usageRoutes } from "./routes/usage";
import { webhooksRoutes } from "./routes/webhooks";
import { workspacesRoutes } from "./routes/workspaces";
import { workspaceExportRoutes } from "./routes/workspaces/export";
import { workspaceImportRoutes } from "./routes/workspaces/import";
import {
  assetRoutes,
  cspReportBodyLimit,
  cspReportRoutes,
  formGuard,
  PAGE_PATHS,
  pageError,
  pageRoutes,
  pageSession,
  requireUser,
} from "./ui";

/**
 * The Hono app in architecture §2's fixed order: requestId → logger → errors → secureHeaders → cors →
 * csrf → authenticate → gatekeeper → tenant → route → service; the agent surfaces check Origin
 * (their CSRF) between secureHeaders and cors. Config is checked right after the secure headers
 * (which need none of it), so a misconfigured deployment refuses everything and its refusal still
 * carries the browser headers; the body limit precedes any read.
 * For workspace routes the workspace row is loaded before the gatekeeper, whose limits depend
 * on the workspace's plan; opening the tenant database itself happens in services, after
 * authorization.
 */
export function buildApp() {
  const app = router();
  app.onError(onError);
  app.use("*", requestId, serviceContext, requestLogger, secureHeaders, requireConfig);
  // The agent surfaces refuse a foreign Origin before CORS answers anything, preflights included
  // (the MCP transport specification: 403), and before a socket's ticket is spent.
  for (const path of ["/mcp", "/mcp/*", "/v1/realtime"]) app.use(path, trustedOrigin);
  app.use("*", cors, deadline, bodyLimit);
  app.route("/health", healthRoutes);
  app.route("/.well-known", wellKnownRoutes);
  app.route("/security", policyRoutes);
  app.route("/", docsRoutes(app));

  // Operators authenticate with `Authorization: Operator <token>`, which the bearer authenticate
  // below refuses; their routes answer first, behind the gatekeeper (limiting attempts per IP)
  // and the operator authentication, and nothing else is accepted there.
  app.use("/v1/*", noStore);
  app.use("/v1/operator/*", gatekeeper, operatorAuthenticate);
  app.route("/v1/operator", operatorRoutes);
  // Agents and sockets (architecture §13): a socket may present a single-use ticket instead of a header;
  // the credential is never the session cookie; the workspace is the key's, the ticket's or named.
  app.use("/mcp", noStore);
  app.use("/mcp/*", noStore);
  app.use("/v1/realtime", socketTicket);
  app.use("/mcp/ws", socketTicket);
  app.use("/v1/*", csrf, authenticate);
  app.use("/mcp", authenticate, requireCarriedCredential, credentialWorkspace, gatekeeper);
  app.use("/mcp/ws", authenticate, requireCarriedCredential, credentialWorkspace, gatekeeper);
  app.use("/v1/realtime", requireCarriedCredential, credentialWorkspace);
  app.use("/v1/workspaces/:workspaceId/*", loadWorkspace);
  app.use("/v1/workspaces/:workspaceId", loadWorkspace);
  app.use("/v1/*", gatekeeper);

  app.route("/v1/auth", authRoutes);
  app.route("/v1/account", accountRoutes);
  app.route("/v1/certificates", certificateRoutes);
  app.route("/v1/dev", devRoutes);
  app.route("/v1/workspaces", workspacesRoutes);
  app.route("/v1/workspaces/:workspaceId/members", membersRoutes);
  app.route("/v1/invitations", invitationsRoutes);
  app.route("/v1/workspaces/:workspaceId/keys", keysRoutes);
  app.route("/v1/workspaces/:workspaceId/usage", usageRoutes);
  app.route("/v1/workspaces/:workspaceId/tables", tablesRoutes);
  app.route("/v1/workspaces/:workspaceId/tables/:table/rows", rowsRoutes);
  app.route("/v1/workspaces/:workspaceId/functions", functionsRoutes);
  app.route("/v1/workspaces/:workspaceId/sql", sqlRoutes);
  app.route("/v1/workspaces/:workspaceId/audit", auditRoutes);
  app.route("/v1/workspaces/:workspaceId/export", workspaceExportRoutes);
  app.route("/v1/workspaces/:workspaceId/import", workspaceImportRoutes);
  app.route("/v1/workspaces/:workspaceId/accounts", accountsRoutes);
  app.route("/v1/workspaces/:workspaceId/secrets", secretsRoutes);
  app.route("/v1/workspaces/:workspaceId/webhooks", webhooksRoutes);
  app.route("/v1/realtime", realtimeRoutes);
  app.route("/mcp/ws", mcpSocketRoutes);
  app.route("/mcp", mcpRoutes);
  // The dashboard: pages for people, on the same services (src/ui). Its own sub-app, so that its
  // errors, the steps below included, are answered as pages (pageError), not JSON.
  const ui = new Hono<AppEnv>();
  ui.onError(pageError);
  ui.route("/", assetRoutes);
  // CSP reports: a small body limit of their own, then the Gatekeeper (per IP).
  ui.post(CSP_REPORT_PATH, cspReportBodyLimit, gatekeeper);
  ui.route("/", cspReportRoutes);
  // Pages: the browser session and form guard, sign-in for /app, the addressed workspace, then
  // the Gatekeeper, whose limits depend on the workspace's plan.
  for (const path of PAGE_PATHS) ui.use(path, pageSession, formGuard);
  ui.use("/app/*", requireUser);
  ui.use("/app/w/:workspaceId/*", loadWorkspace);
  for (const path of PAGE_PATHS) ui.use(path, gatekeeper);
  ui.route("/", pageRoutes);
  app.route("/", ui);

  app.notFound(notFoundHandler(app));
  return app;
}
