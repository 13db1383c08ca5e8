// Helpers for the agent tests: the official MCP SDK Client over Streamable HTTP and over
// WebSocket, and raw sockets, all against the real Worker (`exports.default.fetch`) and its
// real TenantHub.
import { exports } from "cloudflare:workers";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import { testIp } from "../workspaces/fixtures";

const BASE = "http://islet.test";

/** workerd forbids code generation, so the client validates with @cfworker/json-schema, not Ajv. */
const newClient = () =>
  new Client(
    { name: "islet-tests", version: "1.0.0" },
    { jsonSchemaValidator: new CfWorkerJsonSchemaValidator() },
  );

/** The SDK Client over Streamable HTTP, to POST /mcp with a bearer token. */
export async function mcpOverHttp(token: string, query = ""): Promise<Client> {
  const ip = testIp();
  const transport = new StreamableHTTPClientTransport(new URL(`${BASE}/mcp${query}`), {
    fetch: (url, init) => exports.default.fetch(new Request(url, init)),
    requestInit: { headers: { Authorization: `Bearer ${token}`, "CF-Connecting-IP": ip } },
  });
  const client = newClient();
  await client.connect(transport);
  return client;
}

export interface TestSocket {
  ws: WebSocket;
  /** Text frames received, in order. */
  frames: string[];
  /** The next frame not yet taken (waits for it). */
  next(): Promise<string>;
  /** Resolves with the close code and reason once the server closes. */
  closed: Promise<{ code: number; reason: string }>;
  protocol: string | null;
}

/** Opens a WebSocket on the real Worker; `res` is the refusal when there is no upgrade. */
export async function openTestSocket(
  path: string,
  opts: { token?: string; protocols?: string[]; headers?: Record<string, string> } = {},
): Promise<{ socket?: TestSocket; res: Response }> {
  const headers = new Headers({ Upgrade: "websocket", "CF-Connecting-IP": testIp(), ...opts.headers });
  if (opts.token) headers.set("Authorization", `Bearer ${opts.token}`);
  if (opts.protocols) headers.set("Sec-WebSocket-Protocol", opts.protocols.join(", "));
  const res = await exports.default.fetch(new Request(`${BASE}${path}`, { headers }));
  const ws = res.webSocket;
  if (res.status !== 101 || !ws) return { res };
  ws.accept();
  const frames: string[] = [];
  let taken = 0;
  let wake: (() => void) | undefined;
  ws.addEventListener("message", (event) => {
    frames.push(typeof event.data === "string" ? event.data : "<binary>");
    wake?.();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.addEventListener("close", (event) => {
      resolve({ code: event.code, reason: event.reason });
      wake?.();
    });
  });
  const next = async () => {
    while (frames.length <= taken) await new Promise<void>((resolve) => (wake = resolve));
    return frames[taken++] as string;
  };
  return { socket: { ws, frames, next, closed, protocol: res.headers.get("Sec-WebSocket-Protocol") }, res };
}

/** The next JSON frame of a socket. */
export async function nextJson<T = Record<string, unknown>>(socket: TestSocket): Promise<T> {
  return JSON.parse(await socket.next()) as T;
}

/**
 * A client transport over a workerd WebSocket with the SDK's WebSocket framing (one JSON-RPC
 * message per text frame). The SDK's own WebSocketClientTransport dials a URL, which a test
 * inside workerd cannot reach; the protocol work is still all the official Client's.
 */
class SocketClientTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  constructor(private readonly socket: TestSocket) {
    socket.ws.addEventListener("message", (event) => {
      if (typeof event.data === "string") this.onmessage?.(JSON.parse(event.data) as JSONRPCMessage);
    });
    void socket.closed.then(() => this.onclose?.());
  }

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage): Promise<void> {
    this.socket.ws.send(JSON.stringify(message));
  }

  async close(): Promise<void> {
    this.socket.ws.close(1000, "done");
  }
}

/** The SDK Client over MCP-over-WebSocket (GET /mcp/ws, subprotocol `mcp`). */
export async function mcpOverSocket(
  auth: { token: string } | { ticket: string },
): Promise<{ client: Client; socket: TestSocket }> {
  const { socket, res } = await openTestSocket(
    "ticket" in auth ? `/mcp/ws?ticket=${auth.ticket}` : "/mcp/ws",
    { protocols: ["mcp"], ...("token" in auth ? { token: auth.token } : {}) },
  );
  if (!socket) throw new Error(`mcp socket refused: ${res.status} ${await res.text()}`);
  const client = newClient();
  await client.connect(new SocketClientTransport(socket));
  return { client, socket };
}

/** The envelope inside a tool error result. */
export function toolErrorCode(result: unknown): string | undefined {
  const { isError, content } = result as { isError?: boolean; content?: { type: string; text?: string }[] };
  if (!isError) return undefined;
  const [first] = content ?? [];
  return (JSON.parse(first?.text ?? "{}") as { error?: { code?: string } }).error?.code;
}
