import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  isJSONRPCErrorResponse,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  JSONRPCMessageSchema,
  type JSONRPCRequest,
  type RequestId,
} from "@modelcontextprotocol/sdk/types.js";
import { ApiError } from "../lib/errors";
import type { WorkspaceAccess } from "../services/core/access";
import type { ServiceContext } from "../services/core/context";
import { asApiError } from "../services/core/errors";
import { buildMcpServer, toolError } from "./server";

/**
 * MCP over WebSocket (the SDK's `WebSocketClientTransport` framing: subprotocol `mcp`, one
 * JSON-RPC message per text frame), served by the TenantHub's hibernating sockets.
 *
 * Each frame gets its own server, exactly as each `/mcp` request does: the identity, the
 * workspace and the tools the credential may see are read fresh for every message, so nothing
 * is lost when the hub hibernates and a demotion or a new scope shows on the very next call.
 * The MCP server keeps no per-connection state islet needs (it never calls the client back).
 */

/** The adapter between the SDK server and one socket: a frame in, the server's replies out. */
class FrameTransport implements Transport {
  onmessage?: Transport["onmessage"];
  onclose?: () => void;
  onerror?: (error: Error) => void;
  private readonly answered = new Map<RequestId, () => void>();

  constructor(private readonly sendFrame: (text: string) => void) {}

  async start(): Promise<void> {}

  async close(): Promise<void> {
    for (const resolve of this.answered.values()) resolve();
    this.answered.clear();
    this.onclose?.();
  }

  async send(message: JSONRPCMessage): Promise<void> {
    this.sendFrame(JSON.stringify(message));
    if (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) {
      const id = message.id;
      if (id !== undefined) {
        this.answered.get(id)?.();
        this.answered.delete(id);
      }
    }
  }

  /** Hands one message to the server; resolves when a request has been answered. */
  deliver(message: JSONRPCMessage): Promise<void> {
    if (!isJSONRPCRequest(message)) {
      this.onmessage?.(message);
      return Promise.resolve();
    }
    const done = new Promise<void>((resolve) => this.answered.set(message.id, resolve));
    this.onmessage?.(message);
    return done;
  }
}

const jsonRpcError = (id: RequestId | null, code: number, message: string, data?: unknown) =>
  JSON.stringify({ jsonrpc: "2.0", id, error: { code, message, ...(data === undefined ? {} : { data }) } });

function idOf(value: unknown): RequestId | null {
  const id = typeof value === "object" && value !== null ? (value as { id?: unknown }).id : undefined;
  return typeof id === "string" || typeof id === "number" ? id : null;
}

/**
 * A refusal before the server saw the message (rate limit, revoked in between, misconfigured):
 * a tool call gets a tool result with the envelope (MCP: tool errors are results); any other
 * request a JSON-RPC error carrying it. Notifications need no answer.
 */
function refusal(ctx: ServiceContext, request: JSONRPCRequest, error: ApiError): string {
  if (request.method === "tools/call") {
    return JSON.stringify({ jsonrpc: "2.0", id: request.id, result: toolError(ctx, error) });
  }
  return jsonRpcError(request.id, -32000, error.message, {
    error: { code: error.code, message: error.message, requestId: ctx.requestId },
  });
}

/** Largest MCP frame: tool arguments as large as most REST bodies, well under workerd's 1 MiB. */
export const MAX_MCP_FRAME = 512 * 1024;

/**
 * Serves one MCP frame. `admit` is the frame's checks (the Gatekeeper hop, then the credential's
 * hold on the workspace, authorized once and used for the whole frame); it throws when refused.
 * Bad frames get JSON-RPC's own errors (-32700 parse error, -32600 invalid request) and the socket
 * stays up. Every frame is admitted first, garbage included: a flood of bad frames is limited too.
 */
export async function handleMcpFrame(opts: {
  ctx: ServiceContext;
  message: string | ArrayBuffer;
  send: (frame: string) => void;
  admit: () => Promise<WorkspaceAccess>;
}): Promise<void> {
  const { ctx, message: frame, send } = opts;
  let access: WorkspaceAccess | undefined;
  let refused: ApiError | undefined;
  try {
    access = await opts.admit();
  } catch (thrown) {
    refused = asApiError(thrown, ctx.logger);
  }
  if (typeof frame !== "string") {
    send(jsonRpcError(null, -32600, "Invalid request: MCP messages are text frames"));
    return;
  }
  if (frame.length > MAX_MCP_FRAME) {
    send(jsonRpcError(null, -32600, `Invalid request: frames are limited to ${MAX_MCP_FRAME} bytes`));
    return;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(frame);
  } catch {
    send(jsonRpcError(null, -32700, "Parse error: the frame is not JSON"));
    return;
  }
  const message = JSONRPCMessageSchema.safeParse(parsed);
  if (!message.success) {
    send(jsonRpcError(idOf(parsed), -32600, "Invalid request: not a JSON-RPC 2.0 message"));
    return;
  }
  const request = isJSONRPCRequest(message.data) ? message.data : undefined;
  if (!access) {
    if (request) send(refusal(ctx, request, refused ?? new ApiError("unavailable", "Try again")));
    return;
  }
  const server = buildMcpServer(ctx, { access, transport: "ws" });
  const transport = new FrameTransport(send);
  await server.connect(transport);
  try {
    await transport.deliver(message.data);
  } finally {
    await server.close();
  }
}
