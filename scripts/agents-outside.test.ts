// The official MCP SDK client from outside, as an agent runs it: over the network against the real
// Worker in wrangler's local runtime, with the SDK's own Streamable HTTP and WebSocket transports
// (no test-only adapter), and a revoke closing the agent's socket.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { WebSocketClientTransport } from "@modelcontextprotocol/sdk/client/websocket.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, seedOwner, startStack } from "../bench/_stack";

let stack: Stack;
let base: string;
let owner: Awaited<ReturnType<typeof seedOwner>>;

beforeAll(async () => {
  stack = await startStack({ worker: true });
  base = stack.workerUrl ?? "";
  owner = await seedOwner(stack.vars);
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

async function rest<T>(method: string, path: string, token: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const newClient = () => new Client({ name: "outside-agent", version: "1.0.0" });

describe("the official MCP client, from outside", () => {
  it("works over Streamable HTTP with an API key", async () => {
    const { token } = await rest<{ token: string }>(
      "POST",
      `/v1/workspaces/${owner.workspace.id}/keys`,
      owner.token,
      {
        name: "agent",
        scopes: ["data:read", "data:write", "schema:write"],
      },
    );
    const client = newClient();
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
      }),
    );
    expect(client.getServerVersion()?.name).toBe("islet");
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(["create_table", "insert_rows", "list_rows"]));
    const created = await client.callTool({
      name: "create_table",
      arguments: { name: "agents", columns: [{ name: "note", type: "text" }] },
    });
    expect(created.isError).toBeFalsy();
    const bad = await client.callTool({ name: "create_table", arguments: { name: "Bad Name" } });
    expect(bad.isError).toBe(true);
    await client.close();
  }, 60_000);

  it("works over WebSocket with a ticket, and is closed when the key is revoked", async () => {
    const key = await rest<{ key: { id: string }; token: string }>(
      "POST",
      `/v1/workspaces/${owner.workspace.id}/keys`,
      owner.token,
      { name: "socket agent", scopes: ["data:read"] },
    );
    const { ticket } = await rest<{ ticket: string }>("POST", "/v1/realtime/ticket", key.token, {
      workspaceId: owner.workspace.id,
    });
    const client = newClient();
    const transport = new WebSocketClientTransport(
      new URL(`${base.replace(/^http/, "ws")}/mcp/ws?ticket=${ticket}`),
    );
    const closed = new Promise<void>((resolve) => {
      client.onclose = () => resolve();
    });
    await client.connect(transport);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain("list_tables");
    expect(names).not.toContain("create_table");
    const listed = await client.callTool({ name: "list_tables", arguments: {} });
    expect(listed.structuredContent).toMatchObject({ tables: expect.any(Array) });
    await rest("DELETE", `/v1/workspaces/${owner.workspace.id}/keys/${key.key.id}`, owner.token);
    await closed;
  }, 60_000);
});
