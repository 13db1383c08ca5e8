import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../http/env";
import { ApiError } from "../lib/errors";
import { redeemSocketTicket } from "../services/realtime";
import { loadAddressedWorkspace } from "../services/workspaces/addressed";
import { assertUnderFailureLimit, verifying } from "./auth-failure";

/**
 * `?ticket=` on a socket upgrade (architecture §13): browsers cannot set `Authorization` on a WebSocket,
 * so they present a single-use ticket instead. Redeemed before authentication, which then keeps
 * the ticket's actor. A ticket together with an Authorization header is refused: one credential.
 */
export const socketTicket = createMiddleware<AppEnv>(async (c, next) => {
  const ticket = c.req.query("ticket");
  if (ticket === undefined) return next();
  if (c.req.header("Authorization") !== undefined) {
    throw new ApiError("invalid_request", "Send either a ticket or an Authorization header, not both");
  }
  await assertUnderFailureLimit(c);
  const redeemed = await verifying(c, { via: "ticket" }, () =>
    redeemSocketTicket({ ctx: c.var.ctx, input: { ticket } }),
  );
  c.set("authVia", "ticket");
  c.set("actor", redeemed.actor);
  c.set("ticketWorkspaceId", redeemed.workspaceId);
  if (redeemed.key) c.set("apiKey", redeemed.key);
  return next();
});

/**
 * Agents and sockets carry their credential themselves: `Authorization: Bearer` (or a socket
 * ticket). The session cookie is refused here, so no other site's page can ride a person's
 * cookie into a socket or an MCP call (cross-site WebSocket hijacking).
 */
export const requireCarriedCredential = createMiddleware<AppEnv>(async (c, next) => {
  const via = c.get("authVia");
  if (via !== "bearer" && via !== "ticket") {
    const hint = via === "cookie" ? "; browsers get a ticket from POST /v1/realtime/ticket" : "";
    throw new ApiError("unauthorized", `Send Authorization: Bearer <token>${hint}`, {
      headers: { "WWW-Authenticate": 'Bearer realm="islet"' },
    });
  }
  return next();
});

/**
 * The workspace an agent connection is for, loaded before the Gatekeeper (its plan sets the
 * limits): a key's own, a ticket's, or `?workspaceId=` for a person's token. A named workspace
 * that differs from the key's or the ticket's is refused.
 */
export const credentialWorkspace = createMiddleware<AppEnv>(async (c, next) => {
  const actor = c.get("actor");
  const named = c.req.query("workspaceId");
  const bound = c.get("ticketWorkspaceId") ?? (actor?.type === "apiKey" ? actor.workspaceId : undefined);
  if (bound !== undefined && named !== undefined && named !== bound) {
    throw new ApiError("forbidden", "This credential is confined to another workspace");
  }
  const workspaceId = bound ?? named;
  if (workspaceId === undefined) {
    throw new ApiError("invalid_request", "Name the workspace: ?workspaceId=ws_…", {
      details: { field: "workspaceId" },
    });
  }
  const { workspace, member } = await loadAddressedWorkspace({ ctx: c.var.ctx, input: { workspaceId } });
  c.set("workspace", workspace);
  if (member) c.set("workspaceMember", true);
  return next();
});
