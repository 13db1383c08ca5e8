import type { Context } from "hono";
import { describe, expect, it } from "vitest";
import { edgeApp, envelope, send } from "../../test/edge";
import { makeUser, makeWorkspace } from "../../test/helpers";
import type { AppEnv } from "../http/env";
import { authenticate } from "./authenticate";
import { loadWorkspace } from "./workspace";

function app() {
  const app = edgeApp();
  app.use("*", authenticate);
  app.use("/v1/workspaces/:workspaceId/*", loadWorkspace);
  app.use("/v1/account", loadWorkspace);
  const echo = (c: Context<AppEnv>) =>
    c.json({ workspace: c.var.workspace?.id ?? null, member: c.var.workspaceMember ?? false });
  app.get("/v1/workspaces/:workspaceId/tables", echo);
  app.get("/v1/account", echo);
  return app;
}

const tables = (workspaceId: string, token: string) =>
  send(app(), `/v1/workspaces/${workspaceId}/tables`, { headers: { Authorization: `Bearer ${token}` } });

describe("loadWorkspace", () => {
  it("loads the addressed workspace once, and says whether the caller is a member", async () => {
    const owner = await makeUser();
    const workspace = await makeWorkspace(owner);
    const res = await tables(workspace.id, owner.token);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ workspace: workspace.id, member: true });
  });

  it("does not authorize: a stranger's request carries the workspace, not membership", async () => {
    const workspace = await makeWorkspace(await makeUser());
    const stranger = await makeUser();
    expect(await (await tables(workspace.id, stranger.token)).json()).toEqual({
      workspace: workspace.id,
      member: false,
    });
  });

  it("answers 404 not_found for a workspace that does not exist or an id that cannot be one", async () => {
    const user = await makeUser();
    for (const id of ["ws_0000000000000000000000000z", "not-a-workspace", "ws_%27%20OR%201%3D1"]) {
      const res = await tables(id, user.token);
      expect(res.status, id).toBe(404);
      expect((await envelope(res)).code).toBe("not_found");
    }
  });

  it("loads nothing where the path names no workspace", async () => {
    const user = await makeUser();
    const res = await send(app(), "/v1/account", { headers: { Authorization: `Bearer ${user.token}` } });
    expect(await res.json()).toEqual({ workspace: null, member: false });
  });
});
