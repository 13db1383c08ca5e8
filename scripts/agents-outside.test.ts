// The official MCP SDK client from outside, as an agent runs it: over the network against the real
// Worker in wrangler's local runtime, with the SDK's own Streamable HTTP and WebSocket transports
// (no test-only adapter), and a revoke closing the agent's socket.
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
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

// Issue 30 item 7: the README's "Connect an agent" configurations, as the clients read them.
const root = join(import.meta.dirname, "..");
const section = (() => {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const start = readme.indexOf("## Connect an agent\n");
  const end = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, end);
})();
const blocks = (lang: string) =>
  [...section.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, "g"))].map((m) => m[1] ?? "");

interface ServerEntry {
  url?: string;
  headers?: Record<string, string>;
  command?: string;
  args?: string[];
  env?: Record<string, string>;
}

describe("the README's agent configurations", () => {
  let key: string;
  let port: string;

  beforeAll(async () => {
    port = new URL(base).port;
    ({ token: key } = await rest<{ token: string }>(
      "POST",
      `/v1/workspaces/${owner.workspace.id}/keys`,
      owner.token,
      {
        name: "readme agent",
        scopes: ["data:read", "data:write", "schema:write"],
      },
    ));
    await rest("POST", `/v1/workspaces/${owner.workspace.id}/tables`, owner.token, {
      name: "notes",
      columns: [{ name: "title", type: "text" }],
    });
    await rest("POST", `/v1/workspaces/${owner.workspace.id}/tables/notes/rows`, owner.token, {
      title: "hello",
    });
  }, 60_000);

  /** What a client does with `${…}`: Claude Code's `${VAR}`/`${VAR:-default}`, Cursor's `${env:VAR}`. */
  const expand = (text: string, env: Record<string, string>) =>
    text
      // A port written out is the reader's to change (the README says so); this stack's is not 8787.
      .replace("127.0.0.1:8787/", `127.0.0.1:${port}/`)
      .replace(
        /\$\{(?:env:)?([A-Z_]+)(?::-([^}]*))?\}/g,
        (_, name: string, fallback?: string) => env[name] ?? fallback ?? "",
      )
      .replace("isk_…", key);

  it("connects with every JSON configuration (Claude Code, Cursor, Claude Desktop via mcp-remote)", async () => {
    const configs = blocks("json").map(
      (text) => JSON.parse(text) as { mcpServers: Record<string, ServerEntry> },
    );
    expect(configs.length).toBeGreaterThanOrEqual(3);
    for (const config of configs) {
      const entry = config.mcpServers.islet as ServerEntry;
      let url: string;
      let headers: Record<string, string>;
      if (entry.url) {
        const env = { ISLET_PORT: port, ISLET_KEY: key };
        url = expand(entry.url, env);
        headers = Object.fromEntries(
          Object.entries(entry.headers ?? {}).map(([k, v]) => [k, expand(v, env)]),
        );
      } else {
        // mcp-remote: `<url> --header Name:Value`, the value expanded from the entry's env.
        expect(entry.args).toContain("mcp-remote");
        const args = entry.args ?? [];
        const env = Object.fromEntries(Object.entries(entry.env ?? {}).map(([k, v]) => [k, expand(v, {})]));
        url = expand(args.find((a) => a.startsWith("http")) ?? "", env);
        const header = expand(args[args.indexOf("--header") + 1] ?? "", env);
        const colon = header.indexOf(":");
        headers = { [header.slice(0, colon)]: header.slice(colon + 1) };
      }
      const client = newClient();
      await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
      const page = await client.callTool({ name: "list_rows", arguments: { table: "notes" } });
      expect(page.structuredContent, JSON.stringify(entry)).toMatchObject({ rows: [{ title: "hello" }] });
      await client.close();
    }
  }, 60_000);

  it("runs the WebSocket ticket script as written, on the port from ISLET_PORT", async () => {
    const [script] = blocks("js").filter((text) => text.includes("WebSocketClientTransport"));
    expect(script).toBeDefined();
    // Inside the repository, where the SDK resolves, as the README says.
    const dir = join(root, "test-output");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "connect-ws.mjs");
    writeFileSync(file, script as string);
    const { stdout } = await promisify(execFile)(process.execPath, [file], {
      env: {
        PATH: process.env.PATH,
        ISLET_PORT: port,
        ISLET_KEY: key,
        ISLET_WORKSPACE: owner.workspace.id,
      } as never,
      timeout: 30_000,
    });
    const [tools, rows] = stdout.trim().split("\n");
    expect(tools?.split(" ")).toEqual(expect.arrayContaining(["list_rows", "insert_rows", "create_table"]));
    expect(JSON.parse(rows ?? "{}")).toMatchObject({ rows: [{ title: "hello" }], nextCursor: null });
  }, 60_000);
});
