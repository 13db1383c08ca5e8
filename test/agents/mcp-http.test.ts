import { describe, expect, it } from "vitest";
import { call } from "../helpers";
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
