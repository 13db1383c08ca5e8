// The typed client users get (client/index.ts over client/islet.d.ts) against the real Worker:
// if a route's shape drifts from the generated types, this file stops compiling.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { isletClient } from "../../client";
import { testIp } from "../auth/helpers";
import { makeUser, makeWorkspace } from "../helpers";

const through = (ip: string) => (request: Request) => {
  const headers = new Headers(request.headers);
  headers.set("CF-Connecting-IP", ip);
  return exports.default.fetch(new Request(request, { headers }));
};

describe("typed client", () => {
  it("creates a table, writes and filters rows, mints a key and reads with it", async () => {
    const owner = await makeUser();
    const workspace = await makeWorkspace(owner);
    const ip = testIp();
    const islet = isletClient("http://islet.test", owner.token, { fetch: through(ip) });
    const path = { workspaceId: workspace.id };

    const created = await islet.POST("/v1/workspaces/{workspaceId}/tables", {
      params: { path },
      body: { name: "notes", columns: [{ name: "title", type: "text", notNull: true }] },
    });
    expect(created.response.status).toBe(201);
    expect(created.data?.table.columns.map((c) => c.name)).toEqual(["title"]);

    const rows = { path: { ...path, table: "notes" } };
    const inserted = await islet.POST("/v1/workspaces/{workspaceId}/tables/{table}/rows", {
      params: rows,
      body: { rows: [{ title: "first" }, { title: "second" }] },
    });
    expect(inserted.data?.rows).toHaveLength(2);

    const minted = await islet.POST("/v1/workspaces/{workspaceId}/keys", {
      params: { path },
      body: { name: "reader", scopes: ["data:read"] },
    });
    expect(minted.response.status).toBe(201);
    const token = minted.data?.token ?? "";
    expect(token).toMatch(/^isk_/);

    const reader = isletClient("http://islet.test", token, { fetch: through(ip) });
    const page = await reader.GET("/v1/workspaces/{workspaceId}/tables/{table}/rows", {
      params: { ...rows, query: { filter: { title: { eq: "second" } }, limit: 10 } },
    });
    expect(page.response.status).toBe(200);
    expect(page.data?.rows.map((r) => r.title)).toEqual(["second"]);

    const refused = await reader.POST("/v1/workspaces/{workspaceId}/tables/{table}/rows", {
      params: rows,
      body: { title: "nope" },
    });
    expect(refused.response.status).toBe(403);
    expect(refused.error?.error.code).toBe("insufficient_scope");
  });
});
