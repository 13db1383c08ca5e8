import type { Context } from "hono";
import { ApiError } from "../lib/errors";
import type { AppEnv } from "./env";

/**
 * An authenticated WebSocket upgrade, read off the request for the socket service
 * (services/realtime `openSocket`), which hands it to the workspace's TenantHub. Shared by the
 * realtime socket (routes/realtime) and MCP over WebSocket (mcp/websocket.ts). Everything that
 * can refuse it (credential, Origin, workspace, Gatekeeper) has answered with HTTP 401/403/429
 * before this.
 */
export function socketUpgrade<K extends string>(c: Context<AppEnv>, kind: K) {
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
  return {
    kind,
    workspace,
    member: c.get("workspaceMember") === true,
    ...(c.get("apiKey") ? { key: c.get("apiKey") } : {}),
    subprotocol: kind === "mcp" && protocols.includes("mcp"),
  };
}
