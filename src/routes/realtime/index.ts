import type { Context } from "hono";
import type { AppEnv } from "../../http/env";
import { json, jsonBody, named, operation, router, SECURITY } from "../../http/openapi";
import { socketUpgrade } from "../../http/upgrade";
import {
  createSocketTicket,
  openSocket,
  type SocketKind,
  SocketTicket,
  socketQuery,
  socketTicketBody,
} from "../../services/realtime";

/**
 * Hands an authenticated upgrade to the workspace's TenantHub (http/upgrade.ts). The 101 goes
 * back as it is: its WebSocket cannot be copied into another response.
 */
async function upgradeSocket(c: Context<AppEnv>, kind: SocketKind): Promise<Response> {
  return openSocket({ ctx: c.var.ctx, input: socketUpgrade(c, kind) });
}

const upgradeErrors = { errors: [426 as const] };

/** POST /v1/realtime/ticket and the realtime socket, GET /v1/realtime. */
export const realtimeRoutes = router()
  .openapi(
    operation({
      operationId: "createRealtimeTicket",
      method: "post",
      path: "/ticket",
      // A ticket is a 30-second credential a replay could not show: ask for another.
      idempotency: false,
      tags: ["Realtime"],
      security: SECURITY.member,
      summary: "A single-use, 30-second ticket to open a socket from a browser",
      description:
        "Present it once as `?ticket=` on `GET /v1/realtime` or `GET /mcp/ws`. It is bound to this credential and workspace; a long-lived token never goes in a URL.",
      request: { body: jsonBody(socketTicketBody, true, { workspaceId: "ws_01j9z3m4k5n6p7q8r9s0t1v2w3" }) },
      responses: { 201: json(named(SocketTicket, "SocketTicket"), "The ticket") },
    }),
    async (c) => c.json(await createSocketTicket({ ctx: c.var.ctx, input: c.req.valid("json") }), 201),
  )
  .openapi(
    operation({
      operationId: "openRealtimeSocket",
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
