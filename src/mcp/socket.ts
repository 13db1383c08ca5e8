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
import type { ApiError } from "../lib/errors";
import type { ServiceContext } from "../services/context";
import { asApiError } from "../services/errors";
import { buildMcpServer, type McpScope, toolError } from "./server";

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

/**
 * Serves one MCP frame. `admit` is the Gatekeeper hop for the message (it throws when refused);
 * bad frames get JSON-RPC's own errors (-32700 parse error, -32600 invalid request) and the socket
 * stays up.
 */
export async function handleMcpFrame(opts: {
  ctx: ServiceContext;
  text: string;
  send: (frame: string) => void;
  admit: () => Promise<void>;
  scope: () => Promise<McpScope>;
}): Promise<void> {
  const { ctx, text, send } = opts;
  // Every frame is admitted first, garbage included: a flood of bad frames is limited like any.
  let refused: ApiError | undefined;
  try {
    await opts.admit();
  } catch (thrown) {
    refused = asApiError(thrown, ctx.logger);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
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
  let server: Awaited<ReturnType<typeof buildMcpServer>>;
  try {
    if (refused) throw refused;
    server = await buildMcpServer(ctx, await opts.scope());
  } catch (thrown) {
    if (request) send(refusal(ctx, request, asApiError(thrown, ctx.logger)));
    return;
  }
  const transport = new FrameTransport(send);
  await server.connect(transport);
  try {
    await transport.deliver(message.data);
  } finally {
    await server.close();
  }
}
