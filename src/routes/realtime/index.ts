import type { Context } from "hono";
import { ApiError } from "../../lib/errors";
import {
  createSocketTicket,
  openSocket,
  type SocketKind,
  SocketTicket,
  socketQuery,
  socketTicketBody,
} from "../../services/realtime";
import type { AppEnv } from "../../types";
import { json, jsonBody, named, operation, router, SECURITY } from "../openapi";

/**
 * Hands an authenticated upgrade to the workspace's TenantHub. Everything that can refuse it
 * (credential, Origin, workspace, Gatekeeper) has answered with HTTP 401/403/429 before this.
 */
export async function upgradeSocket(c: Context<AppEnv>, kind: SocketKind): Promise<Response> {
  if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
    throw new ApiError(
      "upgrade_required",
      "This is a WebSocket endpoint: send an Upgrade: websocket request",
      {
        headers: { Upgrade: "websocket" },
      },
    );
  }
  const workspace = c.get("workspace");
  if (!workspace) throw new ApiError("invalid_request", "Name the workspace: ?workspaceId=ws_…");
  const protocols = (c.req.header("Sec-WebSocket-Protocol") ?? "").split(",").map((p) => p.trim());
  const res = await openSocket({
    ctx: c.var.ctx,
    input: {
      kind,
      workspace,
      member: c.get("workspaceMember") === true,
      ...(c.get("apiKey") ? { key: c.get("apiKey") } : {}),
      subprotocol: kind === "mcp" && protocols.includes("mcp"),
    },
  });
  // The 101 goes back as it is: its WebSocket cannot be copied into another response.
  return res;
}

const upgradeErrors = { errors: [426 as const] };

/** POST /v1/realtime/ticket and the realtime socket, GET /v1/realtime. */
export const realtimeRoutes = router()
  .openapi(
    operation({
      method: "post",
      path: "/ticket",
      // A ticket is a 30-second credential a replay could not show: ask for another.
      idempotency: false,
      tags: ["Realtime"],
      security: SECURITY.member,
      summary: "A single-use, 30-second ticket to open a socket from a browser",
      description:
        "Present it once as `?ticket=` on `GET /v1/realtime` or `GET /mcp/ws`. It is bound to this credential and workspace; a long-lived token never goes in a URL.",
      request: { body: jsonBody(socketTicketBody) },
      responses: { 201: json(named(SocketTicket, "SocketTicket"), "The ticket") },
    }),
    async (c) => c.json(await createSocketTicket({ ctx: c.var.ctx, input: c.req.valid("json") }), 201),
  )
  .openapi(
    operation({
      method: "get",
      path: "/",
      tags: ["Realtime"],
      security: [...SECURITY.member, {}],
      summary: "The realtime WebSocket: row events of the tables subscribed to",
      description:
        'Upgrade with `Authorization: Bearer` (agents) or `?ticket=` (browsers). Send `{"type":"subscribe","tables":["todos"]}`; receive `row.created`, `row.updated`, `row.deleted`. A revoked credential\'s socket closes with 4401.',
      request: { query: socketQuery },
      responses: { 101: { description: "Switching Protocols: the socket is open" } },
      ...upgradeErrors,
    }),
    (c) => upgradeSocket(c, "realtime"),
  );

/** GET /mcp/ws: MCP over WebSocket (subprotocol `mcp`), served by the workspace's TenantHub. */
export const mcpSocketRoutes = router().get("/", (c) => upgradeSocket(c, "mcp"));
