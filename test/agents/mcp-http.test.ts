import { describe, expect, it } from "vitest";
import { isTrustedOrigin } from "../../src/http/origin";
import { tenantLog } from "../audit/helpers";
import { call, json, testConfig } from "../helpers";
import { auditActions, makeTeam, mintKey } from "../workspaces/fixtures";
import { mcpOverHttp, toolErrorCode } from "./helpers";

describe("MCP over Streamable HTTP", () => {
  it("lists and calls tools with the official client", async () => {
    const team = await makeTeam();
    const key = await mintKey(team.owner.token, team.workspace.id, {
      scopes: ["data:read", "data:write", "schema:write"],
    });
    const client = await mcpOverHttp(key.token);
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toContain("create_table");
    const created = await client.callTool({
      name: "create_table",
      arguments: { name: "todos", columns: [{ name: "title", type: "text" }] },
    });
    expect(created.isError).toBeFalsy();
    const inserted = await client.callTool({
      name: "insert_rows",
      arguments: { table: "todos", rows: [{ title: "a" }] },
    });
    expect(inserted.structuredContent).toMatchObject({ rows: [{ title: "a" }] });
    const bad = await client.callTool({ name: "insert_rows", arguments: { table: "todos" } });
    expect(toolErrorCode(bad)).toBe("invalid_request");
    const actions = await auditActions(team.workspace);
    expect(actions.filter((a) => a.action === "mcp.tool_call").length).toBe(3);
    await client.close();
    expect((await call("GET", "/mcp", { token: key.token })).status).toBe(405);
  });
});

describe("idempotencyKey on writing tools", () => {
  it("runs a call once per key: a repeat is the stored result, marked; other arguments are refused", async () => {
    const team = await makeTeam();
    const client = await mcpOverHttp(team.owner.token, `?workspaceId=${team.workspace.id}`);
    const { tools } = await client.listTools();
    for (const tool of tools) {
      const takesKey = Object.hasOwn(tool.inputSchema.properties ?? {}, "idempotencyKey");
      expect(takesKey, tool.name).toBe(tool.annotations?.readOnlyHint !== true);
    }
    await client.callTool({
      name: "create_table",
      arguments: { name: "todos", columns: [{ name: "title", type: "text" }] },
    });
    const args = { table: "todos", rows: [{ title: "a" }], idempotencyKey: "agent-retry-1" };
    const first = await client.callTool({ name: "insert_rows", arguments: args });
    const again = await client.callTool({ name: "insert_rows", arguments: args });
    expect(first.isError).toBeFalsy();
    expect(first._meta?.["islet/idempotent-replayed"]).toBeUndefined();
    expect(again._meta?.["islet/idempotent-replayed"]).toBe(true);
    expect(again.structuredContent).toEqual(first.structuredContent);
    const other = await client.callTool({
      name: "insert_rows",
      arguments: { ...args, rows: [{ title: "b" }] },
    });
    expect(toolErrorCode(other)).toBe("idempotency_mismatch");
    const listed = await json<{ rows: unknown[] }>(
      await call("GET", `/v1/workspaces/${team.workspace.id}/tables/todos/rows`, { token: team.owner.token }),
    );
    expect(listed.rows).toHaveLength(1);

    // A key's token is shown once: the replay (valid against the output schema) has none.
    const mint = { name: "agent", scopes: ["data:read"], idempotencyKey: "agent-key-1" };
    const minted = await client.callTool({ name: "create_key", arguments: mint });
    const replayed = await client.callTool({ name: "create_key", arguments: mint });
    const token = (minted.structuredContent as { token: string }).token;
    expect(token).toMatch(/^isk_/);
    expect(replayed.isError).toBeFalsy();
    expect(replayed.structuredContent).not.toHaveProperty("token");
    expect(JSON.stringify(replayed)).not.toContain(token.slice(-12));
    await client.close();
  });
});

describe("which tools a credential sees", () => {
  it("shows a read-only key no write tools, with annotations and output schemas", async () => {
    const team = await makeTeam();
    const key = await mintKey(team.owner.token, team.workspace.id, { scopes: ["data:read"] });
    const client = await mcpOverHttp(key.token);
    const { tools } = await client.listTools();
    expect(tools.length).toBeGreaterThan(0);
    for (const tool of tools) {
      expect(tool.annotations, tool.name).toMatchObject({ readOnlyHint: true, destructiveHint: false });
      expect(tool.outputSchema?.type, tool.name).toBe("object");
      expect(tool.inputSchema.properties ?? {}, tool.name).not.toHaveProperty("workspaceId");
    }
    expect(tools.map((t) => t.name)).toEqual(
      expect.arrayContaining(["list_tables", "get_table", "list_rows", "get_row", "list_functions"]),
    );
    // Not listed, and refused by the verb when called anyway.
    const forced = await client.callTool({ name: "insert_rows", arguments: { table: "x", rows: [{}] } });
    expect(toolErrorCode(forced)).toBe("insufficient_scope");
    await client.close();
  });

  it("shows a viewer no destructive tools, and an owner the SQL and key tools", async () => {
    const team = await makeTeam();
    const query = `?workspaceId=${team.workspace.id}`;
    const viewer = await mcpOverHttp(team.viewer.token, query);
    const seen = (await viewer.listTools()).tools;
    expect(seen.some((t) => t.annotations?.destructiveHint)).toBe(false);
    expect(seen.some((t) => !t.annotations?.readOnlyHint)).toBe(false);
    const owner = await mcpOverHttp(team.owner.token, query);
    const names = (await owner.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining(["execute_sql", "revoke_key", "drop_table", "list_audit_events"]),
    );
    // A key never sees the users-only SQL tool, whatever its scopes.
    const admin = await mintKey(team.owner.token, team.workspace.id, {
      scopes: ["data:read", "schema:write", "keys:manage", "audit:read"],
    });
    const keyClient = await mcpOverHttp(admin.token);
    const keyNames = (await keyClient.listTools()).tools.map((t) => t.name);
    expect(keyNames).toContain("create_key");
    expect(keyNames).not.toContain("execute_sql");
    await Promise.all([viewer.close(), owner.close(), keyClient.close()]);
  });

  it("needs the confirmation REST needs to drop a table", async () => {
    const team = await makeTeam();
    const client = await mcpOverHttp(team.owner.token, `?workspaceId=${team.workspace.id}`);
    await client.callTool({
      name: "create_table",
      arguments: { name: "t", columns: [{ name: "a", type: "text" }] },
    });
    const unconfirmed = await client.callTool({ name: "drop_table", arguments: { table: "t" } });
    expect(toolErrorCode(unconfirmed)).toBe("confirmation_required");
    const dropped = await client.callTool({ name: "drop_table", arguments: { table: "t", confirm: "t" } });
    expect(dropped.structuredContent).toEqual({ dropped: "t" });
    await client.close();
  });

  it("serves each table's schema as a resource", async () => {
    const team = await makeTeam();
    const client = await mcpOverHttp(team.owner.token, `?workspaceId=${team.workspace.id}`);
    await client.callTool({
      name: "create_table",
      arguments: { name: "todos", columns: [{ name: "a", type: "text" }] },
    });
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toEqual(["islet://tables/todos"]);
    const read = await client.readResource({ uri: "islet://tables/todos" });
    const [content] = read.contents as { text: string }[];
    expect(JSON.parse(content?.text ?? "{}")).toMatchObject({ name: "todos" });
    await client.close();
  });
});

describe("the /mcp endpoint", () => {
  it("refuses what REST refuses, at the HTTP level, with the envelope", async () => {
    const team = await makeTeam();
    const initialize = {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } },
    };
    const headers = { Accept: "application/json, text/event-stream" };
    const anonymous = await call("POST", "/mcp", { body: initialize, headers });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("WWW-Authenticate")).toContain("Bearer");
    const cookie = await call("POST", `/mcp?workspaceId=${team.workspace.id}`, {
      body: initialize,
      headers: { ...headers, Cookie: `__Host-islet_access=${team.owner.token}` },
    });
    expect(cookie.status).toBe(401);
    const unnamed = await call("POST", "/mcp", { token: team.owner.token, body: initialize, headers });
    expect(unnamed.status).toBe(400);
    const key = await mintKey(team.owner.token, team.workspace.id);
    const elsewhere = await call("POST", "/mcp?workspaceId=ws_00000000000000000000000000", {
      token: key.token,
      body: initialize,
      headers,
    });
    expect(elsewhere.status).toBe(403);
    const ok = await call("POST", "/mcp", { token: key.token, body: initialize, headers });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("Cache-Control")).toBe("no-store");
    expect(ok.headers.get("RateLimit-Limit")).not.toBeNull();
  });

  it("holds a key's own per-minute cap exactly, as REST does", async () => {
    const team = await makeTeam();
    const key = await mintKey(team.owner.token, team.workspace.id, { perMinute: 3 });
    const headers = { Accept: "application/json, text/event-stream" };
    const list = { jsonrpc: "2.0", id: 1, method: "tools/list" };
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await call("POST", "/mcp", { token: key.token, body: list, headers })).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
  });

  it("answers malformed JSON-RPC with JSON-RPC errors, never a 500", async () => {
    const team = await makeTeam();
    const key = await mintKey(team.owner.token, team.workspace.id);
    const headers = { Accept: "application/json, text/event-stream", "Content-Type": "application/json" };
    for (const body of ["not json", '{"jsonrpc":"2.0"}', '{"jsonrpc":"2.0","id":1,"method":"tools/call"}']) {
      const res = await call("POST", "/mcp", { token: key.token, body, headers });
      expect(res.status, body).toBeLessThan(500);
      expect(await json(res), body).toMatchObject({ jsonrpc: "2.0", error: { code: expect.any(Number) } });
    }
    // Batches, even empty ones, are refused (see below).
    expect((await call("POST", "/mcp", { token: key.token, body: "[]", headers })).status).toBe(400);
    const huge = await call("POST", "/mcp", { token: key.token, body: "x".repeat(2_000_000), headers });
    expect(huge.status).toBe(413);
  });

  it("audits tool calls without their arguments or results", async () => {
    const team = await makeTeam();
    const key = await mintKey(team.owner.token, team.workspace.id, { scopes: ["keys:manage", "data:read"] });
    const client = await mcpOverHttp(key.token);
    const made = await client.callTool({
      name: "create_key",
      arguments: { name: "agent", scopes: ["data:read"] },
    });
    const token = (made.structuredContent as { token: string }).token;
    expect(token).toMatch(/^isk_/);
    const log = await tenantLog(team.workspace);
    const call = log.find((e) => e.action === "mcp.tool_call");
    expect(call).toMatchObject({ target_id: "create_key" });
    expect(JSON.parse(String(call?.details))).toMatchObject({ outcome: "ok", transport: "http" });
    expect(JSON.stringify(log)).not.toContain(token.slice(-20));
    await client.close();
  });

  it("tells a stranger nothing of another workspace and leaves nothing in its log", async () => {
    const [team, stranger] = await Promise.all([makeTeam(), makeTeam()]);
    const headers = { Accept: "application/json, text/event-stream" };
    const body = {
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "list_tables", arguments: {} },
    };
    const res = await call("POST", `/mcp?workspaceId=${team.workspace.id}`, {
      token: stranger.owner.token,
      body,
      headers,
    });
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain(team.workspace.name);
    expect((await tenantLog(team.workspace)).filter((e) => e.action === "mcp.tool_call")).toEqual([]);
  });

  it("takes one JSON-RPC message per request: a batch would carry many calls past one admission", async () => {
    const team = await makeTeam();
    const key = await mintKey(team.owner.token, team.workspace.id);
    const one = { jsonrpc: "2.0", id: 1, method: "tools/list" };
    const res = await call("POST", "/mcp", {
      token: key.token,
      body: [one, { ...one, id: 2 }],
      headers: { Accept: "application/json, text/event-stream" },
    });
    expect(res.status).toBe(400);
    expect(await json(res)).toMatchObject({ error: { code: -32600 } });
  });

  it("refuses a foreign Origin with 403 whatever the method; no Origin and islet's own pass", async () => {
    const team = await makeTeam();
    const key = await mintKey(team.owner.token, team.workspace.id);
    const list = { jsonrpc: "2.0", id: 1, method: "tools/list" };
    const accept = { Accept: "application/json, text/event-stream" };
    // MCP transport specification: DNS rebinding — a page of another site, resolved to islet.
    for (const method of ["POST", "GET", "DELETE", "OPTIONS"]) {
      const res = await call(method, "/mcp", {
        token: key.token,
        ...(method === "POST" ? { body: list } : {}),
        headers: { ...accept, Origin: "http://evil.example.com", "Access-Control-Request-Method": "POST" },
      });
      expect({ method, status: res.status }).toEqual({ method, status: 403 });
      expect(await json(res)).toMatchObject({
        error: { code: "forbidden", message: expect.stringContaining("Origin is not allowed") },
      });
    }
    const own = await call("POST", "/mcp", {
      token: key.token,
      body: list,
      headers: { ...accept, Origin: new URL(testConfig().PUBLIC_URL).origin },
    });
    expect(own.status).toBe(200);
    const listed = await call("POST", "/mcp", {
      token: key.token,
      body: list,
      headers: { ...accept, Origin: testConfig().CORS_ORIGINS.at(-1) ?? "" },
    });
    expect(listed.status).toBe(200);
    expect((await call("POST", "/mcp", { token: key.token, body: list, headers: accept })).status).toBe(200);
    // A local stack trusts loopback pages on any port (a dev server, a local client's proxy)…
    const local = await call("POST", "/mcp", {
      token: key.token,
      body: list,
      headers: { ...accept, Origin: "http://127.0.0.1:41234" },
    });
    expect(local.status).toBe(200);
    // …and production never does.
    const production = { ...testConfig(), ENVIRONMENT: "production" as const };
    expect(isTrustedOrigin(production, "http://127.0.0.1:41234")).toBe(false);
    expect(isTrustedOrigin(production, "http://localhost:5173")).toBe(false);
    expect(isTrustedOrigin(testConfig(), "http://localhost.evil.example:5173")).toBe(false);
  });
});
