import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { Hono } from "hono";
import type { AppEnv } from "../http/env";
import { ApiError } from "../lib/errors";
import { authorizeMember } from "../services/core/access";
import { buildMcpServer } from "./server";

const jsonRpcError = (code: number, message: string) => ({
  jsonrpc: "2.0",
  id: null,
  error: { code, message },
});

const notHere = () => {
  // Stateless Streamable HTTP (MCP 2025-06-18 §Transports): no session, so no server-initiated
  // stream to GET and no session to DELETE.
  throw new ApiError("method_not_allowed", "This MCP endpoint is stateless: POST JSON-RPC messages", {
    headers: { Allow: "POST" },
  });
};

/**
 * POST /mcp: MCP over Streamable HTTP (architecture §13). Authentication, the workspace and the
 * Gatekeeper hop (revocation and the same limits as REST) have run before this; each request
 * gets its own server scoped to the credential's workspace, answered as JSON.
 */
export const mcpRoutes = new Hono<AppEnv>()
  .post("/", async (c) => {
    const workspace = c.get("workspace");
    if (!workspace) throw new ApiError("invalid_request", "Name the workspace: ?workspaceId=ws_…");
    // Only members and the workspace's own keys: others get 404, as REST answers.
    const access = await authorizeMember(c.var.ctx, workspace.id);
    const server = buildMcpServer(c.var.ctx, { access, transport: "http" });
    // One message per request: the Gatekeeper admitted one request, so a JSON-RPC batch (which
    // MCP 2025-06-18 no longer has) must not carry a hundred tool calls past its limits.
    let message: unknown;
    try {
      message = JSON.parse(await c.req.text());
    } catch {
      return c.json(jsonRpcError(-32700, "Parse error: the body is not JSON"), 400);
    }
    if (Array.isArray(message)) {
      return c.json(jsonRpcError(-32600, "Invalid request: send one JSON-RPC message per request"), 400);
    }
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    await server.connect(transport);
    try {
      return await transport.handleRequest(c.req.raw, { parsedBody: message });
    } finally {
      await server.close();
    }
  })
  .get("/", notHere)
  .delete("/", notHere);
