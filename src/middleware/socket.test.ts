import { describe, expect, it } from "vitest";
import { edgeApp, envelope, send } from "../../test/edge";
import { makeUser, makeWorkspace, testContext } from "../../test/helpers";
import { mintKey } from "../../test/workspaces/fixtures";
import { ACCESS_COOKIE } from "../http/cookies";
import { createSocketTicket } from "../services/realtime";
import { authenticate } from "./authenticate";
import { credentialWorkspace, requireCarriedCredential, socketTicket } from "./socket";

/** An agent surface's entrance as src/app.ts mounts it for /mcp/ws, up to the Gatekeeper. */
function app() {
  const app = edgeApp();
  app.use("/ws", socketTicket, authenticate, requireCarriedCredential, credentialWorkspace);
  app.get("/ws", (c) =>
    c.json({
      actor: c.var.actor.type,
      via: c.var.authVia,
      workspace: c.var.workspace?.id,
      member: c.var.workspaceMember,
    }),
  );
  return app;
}

const open = (query: string, headers: Record<string, string> = {}) => send(app(), `/ws${query}`, { headers });

async function refused(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect((await envelope(res)).code).toBe(code);
}

async function setup() {
  const owner = await makeUser();
  const workspace = await makeWorkspace(owner);
  const { ticket } = await createSocketTicket({
    ctx: testContext(owner.actor),
    input: { workspaceId: workspace.id },
  });
  return { owner, workspace, ticket };
}

describe("socketTicket", () => {
  it("lets a browser's single-use ticket stand for its session and workspace, once", async () => {
    const { workspace, ticket } = await setup();
    const res = await open(`?ticket=${ticket}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ actor: "user", via: "ticket", workspace: workspace.id, member: true });
    await refused(await open(`?ticket=${ticket}`), 401, "invalid_token");
  });

  it("refuses a ticket with a header (one credential), an unknown ticket, and another workspace", async () => {
    const { owner, ticket } = await setup();
    await refused(
      await open(`?ticket=${ticket}`, { Authorization: `Bearer ${owner.token}` }),
      400,
      "invalid_request",
    );
    await refused(await open("?ticket=ist_nope"), 401, "invalid_token");
    const other = await makeWorkspace(owner);
    await refused(await open(`?ticket=${ticket}&workspaceId=${other.id}`), 403, "forbidden");
  });
});

describe("requireCarriedCredential", () => {
  it("refuses the session cookie (cross-site WebSocket hijacking) and no credential at all", async () => {
    const { owner, workspace } = await setup();
    const cookie = await open(`?workspaceId=${workspace.id}`, { Cookie: `${ACCESS_COOKIE}=${owner.token}` });
    expect(cookie.headers.get("WWW-Authenticate")).toBe('Bearer realm="islet"');
    expect((await envelope(cookie.clone())).message).toContain("ticket");
    await refused(cookie, 401, "unauthorized");
    await refused(await open(`?workspaceId=${workspace.id}`), 401, "unauthorized");
  });
});

describe("credentialWorkspace", () => {
  it("takes a person's workspace from ?workspaceId=, and asks for it when missing", async () => {
    const { owner, workspace } = await setup();
    const auth = { Authorization: `Bearer ${owner.token}` };
    const named = await open(`?workspaceId=${workspace.id}`, auth);
    expect(await named.json()).toMatchObject({
      actor: "user",
      via: "bearer",
      workspace: workspace.id,
      member: true,
    });
    const missing = await open("", auth);
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({
      error: { code: "invalid_request", details: { field: "workspaceId" } },
    });
  });

  it("binds a key to its own workspace: naming another is 403", async () => {
    const { owner, workspace } = await setup();
    const key = await mintKey(owner.token, workspace.id);
    const auth = { Authorization: `Bearer ${key.token}` };
    expect(await (await open("", auth)).json()).toMatchObject({ actor: "apiKey", workspace: workspace.id });
    const other = await makeWorkspace(owner);
    await refused(await open(`?workspaceId=${other.id}`, auth), 403, "forbidden");
  });
});
