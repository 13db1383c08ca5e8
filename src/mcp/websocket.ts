import { router } from "../http/openapi";
import { socketUpgrade } from "../http/upgrade";
import { openSocket } from "../services/realtime";

/**
 * GET /mcp/ws: MCP over WebSocket (subprotocol `mcp`), served by the workspace's TenantHub
 * (./socket.ts handles its frames there). The ticket, credential, workspace and Gatekeeper steps
 * before it are src/app.ts's. The 101 goes back as it is: its WebSocket cannot be copied into
 * another response.
 */
export const mcpSocketRoutes = router().get("/", async (c) =>
  openSocket({ ctx: c.var.ctx, input: socketUpgrade(c, "mcp") }),
);
