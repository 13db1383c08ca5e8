import { describe, expect, it } from "vitest";
import { call, json, testConfig } from "../helpers";
import { auditActions, makeTeam, mintKey } from "../workspaces/fixtures";
import { mcpOverSocket, nextJson, openTestSocket, toolErrorCode } from "./helpers";

describe("MCP over WebSocket", () => {
  it("lists and calls tools with the official client", async () => {
    const team = await makeTeam();
    const key = await mintKey(team.owner.token, team.workspace.id, {
      scopes: ["data:read", "data:write", "schema:write"],
    });
    const { client, socket } = await mcpOverSocket({ token: key.token });
    expect(socket.protocol).toBe("mcp");
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain("insert_rows");
    const created = await client.callTool({
      name: "create_table",
      arguments: { name: "notes", columns: [{ name: "body", type: "text" }] },
    });
    expect(created.isError).toBeFalsy();
    const inserted = await client.callTool({
      name: "insert_rows",
      arguments: { table: "notes", rows: [{ body: "x" }] },
    });
    expect(inserted.structuredContent).toMatchObject({ rows: [{ body: "x" }] });
    const bad = await client.callTool({ name: "get_row", arguments: { table: "notes", id: -1 } });
    expect(toolErrorCode(bad)).toBe("invalid_request");
    const calls = (await auditActions(team.workspace)).filter((a) => a.action === "mcp.tool_call");
    expect(calls.map((c) => c.target_id)).toEqual(["create_table", "insert_rows", "get_row"]);
    await client.close();
  });

  it("accepts a ticket instead of a header", async () => {
    const team = await makeTeam();
    const res = await call("POST", "/v1/realtime/ticket", {
      token: team.viewer.token,
      body: { workspaceId: team.workspace.id },
    });
    expect(res.status).toBe(201);
    const { ticket } = await json<{ ticket: string }>(res);
    const { client } = await mcpOverSocket({ ticket });
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain("list_rows");
    expect(names).not.toContain("insert_rows");
    await client.close();
  });

  it("answers bad frames with JSON-RPC errors and stays up", async () => {
    const team = await makeTeam();
    const key = await mintKey(team.owner.token, team.workspace.id);
    const { socket } = await openTestSocket("/mcp/ws", { token: key.token, protocols: ["mcp"] });
    if (!socket) throw new Error("no socket");
    socket.ws.send("not json");
    expect(await nextJson(socket)).toMatchObject({ error: { code: -32700 } });
    socket.ws.send("x".repeat(1_000_000));
    expect(await nextJson(socket)).toMatchObject({ error: { code: -32600 } });
    socket.ws.send(JSON.stringify({ hello: "world" }));
    expect(await nextJson(socket)).toMatchObject({ error: { code: -32600 } });
    socket.ws.send(JSON.stringify({ jsonrpc: "2.0", id: 7, method: "no/such" }));
    expect(await nextJson(socket)).toMatchObject({ id: 7, error: { code: -32601 } });
    socket.ws.send(JSON.stringify({ jsonrpc: "2.0", id: 8, method: "tools/list" }));
    expect(await nextJson(socket)).toMatchObject({ id: 8, result: { tools: expect.any(Array) } });
    socket.ws.close(1000);
  });

  it("refuses a foreign Origin with 403 before the upgrade, without spending the ticket", async () => {
    const team = await makeTeam();
    const res = await call("POST", "/v1/realtime/ticket", {
      token: team.viewer.token,
      body: { workspaceId: team.workspace.id },
    });
    const { ticket } = await json<{ ticket: string }>(res);
    const foreign = await openTestSocket(`/mcp/ws?ticket=${ticket}`, {
      protocols: ["mcp"],
      headers: { Origin: "http://evil.example.com" },
    });
    expect(foreign.res.status).toBe(403);
    expect(foreign.socket).toBeUndefined();
    expect(await json(foreign.res)).toMatchObject({
      error: { code: "forbidden", message: expect.stringContaining("Origin is not allowed") },
    });
    // The page of islet's own origin then opens it with the same ticket.
    const own = await openTestSocket(`/mcp/ws?ticket=${ticket}`, {
      protocols: ["mcp"],
      headers: { Origin: new URL(testConfig().PUBLIC_URL).origin },
    });
    expect(own.res.status).toBe(101);
    own.socket?.ws.close(1000);
  });
});
