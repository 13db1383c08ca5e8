import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { Hono } from "hono";
import { ApiError } from "../lib/errors";
import type { AppEnv } from "../types";
import { buildMcpServer } from "./server";

const notHere = () => {
  // Stateless Streamable HTTP (MCP 2025-06-18 §Transports): no session, so no server-initiated
  // stream to GET and no session to DELETE.
  throw new ApiError("method_not_allowed", "This MCP endpoint is stateless: POST JSON-RPC messages", {
    headers: { Allow: "POST" },
  });
};

/**
 * POST /mcp: MCP over Streamable HTTP (DESIGN §13). Authentication, the workspace and the
 * Gatekeeper hop (revocation and the same limits as REST) have run before this; each request
 * gets its own server scoped to the credential's workspace, answered as JSON.
 */
export const mcpRoutes = new Hono<AppEnv>()
  .post("/", async (c) => {
    const workspace = c.get("workspace");
    if (!workspace) throw new ApiError("invalid_request", "Name the workspace: ?workspaceId=ws_…");
    const server = await buildMcpServer(c.var.ctx, { workspace, transport: "http" });
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    await server.connect(transport);
    try {
      return await transport.handleRequest(c.req.raw);
    } finally {
      await server.close();
    }
  })
  .get("/", notHere)
  .delete("/", notHere);
