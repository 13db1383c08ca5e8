// architecture §13: a credential's sockets close (4401) when it stops, before the call that stopped it
// has answered: the close frame is already sent when the response arrives.

import { evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { controlDb } from "../../src/db/control/client";
import { memberships, socketTickets, workspaces } from "../../src/db/control/schema";
import { revokeCredential } from "../../src/services/gatekeeper";
import { call, json, makeUser, testConfig } from "../helpers";
import { addMember, makeTeam, mintKey, type Team } from "../workspaces/fixtures";
import { mcpOverSocket, nextJson, openTestSocket, type TestSocket } from "./helpers";

const hubOf = (team: Team) => env.TENANT_HUB.get(env.TENANT_HUB.idFromName(team.workspace.id));

async function realtime(token: string, query = ""): Promise<TestSocket> {
  const { socket, res } = await openTestSocket(`/v1/realtime${query}`, { token });
  if (!socket) throw new Error(`realtime refused: ${res.status} ${await res.text()}`);
  return socket;
}

/** Whether the socket has closed already (the close event has been delivered). */
async function closedNow(socket: TestSocket): Promise<{ code: number; reason: string } | undefined> {
  // The close frame was sent before the revoke answered; give the event loop one turn to deliver it.
  await new Promise((resolve) => setTimeout(resolve, 0));
  return Promise.race([
    socket.closed,
    new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 50)),
  ]);
}

describe("sockets close when their credential stops", () => {
  it("closes a revoked key's MCP and realtime sockets with 4401", async () => {
    const team = await makeTeam();
    const key = await mintKey(team.owner.token, team.workspace.id, { scopes: ["data:read"] });
    const other = await mintKey(team.owner.token, team.workspace.id, { scopes: ["data:read"] });
    const { socket: mcp } = await mcpOverSocket({ token: key.token });
    const live = await realtime(key.token);
    const bystander = await realtime(other.token);
    const res = await call("DELETE", `/v1/workspaces/${team.workspace.id}/keys/${key.id}`, {
      token: team.owner.token,
    });
    expect(res.status).toBe(200);
    expect(await closedNow(mcp)).toMatchObject({ code: 4401 });
    expect(await closedNow(live)).toMatchObject({ code: 4401 });
    expect(await closedNow(bystander)).toBeUndefined();
    // And it cannot come back.
    expect((await openTestSocket("/v1/realtime", { token: key.token })).res.status).toBe(401);
    bystander.ws.close(1000);
  });

  it("closes sockets accepted before the hub hibernated", async () => {
    const team = await makeTeam();
    const key = await mintKey(team.owner.token, team.workspace.id, { scopes: ["data:read"] });
    const { socket: mcp } = await mcpOverSocket({ token: key.token });
    const live = await realtime(key.token);
    await evictDurableObject(hubOf(team));
    // Still served after the wake-up: the attachment and the stored connection survived.
    live.ws.send(JSON.stringify({ type: "ping" }));
    expect(await nextJson(live)).toEqual({ type: "pong" });
    await evictDurableObject(hubOf(team));
    await call("DELETE", `/v1/workspaces/${team.workspace.id}/keys/${key.id}`, { token: team.owner.token });
    expect(await closedNow(mcp)).toMatchObject({ code: 4401 });
    expect(await closedNow(live)).toMatchObject({ code: 4401 });
  });

  it("closes a rotated key's sockets when its grace period ends, not before", async () => {
    const team = await makeTeam();
    const key = await mintKey(team.owner.token, team.workspace.id, { scopes: ["data:read"] });
    const live = await realtime(key.token);
    const res = await call("POST", `/v1/workspaces/${team.workspace.id}/keys/${key.id}/rotate`, {
      token: team.owner.token,
      body: { graceSeconds: 1 },
    });
    expect(res.status).toBe(201);
    expect(await closedNow(live)).toBeUndefined();
    expect(await live.closed).toMatchObject({ code: 4401 });
  });

  it("closes a socket when its credential expires, without waiting for a message", async () => {
    const team = await makeTeam();
    const key = await mintKey(team.owner.token, team.workspace.id, {
      scopes: ["data:read"],
      expiresAt: Date.now() + 1500,
    });
    const live = await realtime(key.token);
    expect(await live.closed).toEqual({ code: 4401, reason: "credential expired" });
  });

  it("closes a removed member's and a demoted member's sockets, and their keys'", async () => {
    const team = await makeTeam();
    const query = `?workspaceId=${team.workspace.id}`;
    const adminSocket = await realtime(team.admin.token, query);
    const adminKey = await mintKey(team.admin.token, team.workspace.id, { scopes: ["data:read"] });
    const keySocket = await realtime(adminKey.token);
    const memberSocket = await realtime(team.member.token, query);
    const removed = await call("DELETE", `/v1/workspaces/${team.workspace.id}/members/${team.admin.id}`, {
      token: team.owner.token,
    });
    expect(removed.status).toBe(204);
    expect(await closedNow(adminSocket)).toMatchObject({ code: 4401 });
    expect(await closedNow(keySocket)).toMatchObject({ code: 4401 });
    expect(await closedNow(memberSocket)).toBeUndefined();
    const demoted = await call("PATCH", `/v1/workspaces/${team.workspace.id}/members/${team.member.id}`, {
      token: team.owner.token,
      body: { role: "viewer" },
    });
    expect(demoted.status).toBe(200);
    expect(await closedNow(memberSocket)).toMatchObject({ code: 4401 });
  });

  it("closes a session's sockets in every workspace when the session is revoked", async () => {
    const user = await makeUser();
    const [first, second] = await Promise.all([makeTeam(), makeTeam()]);
    await addMember(first.workspace, "viewer", user);
    await addMember(second.workspace, "viewer", user);
    const a = await realtime(user.token, `?workspaceId=${first.workspace.id}`);
    const b = await realtime(user.token, `?workspaceId=${second.workspace.id}`);
    const res = await call("DELETE", `/v1/auth/sessions/${user.sessionId}`, { token: user.token });
    expect(res.status).toBe(204);
    expect(await closedNow(a)).toMatchObject({ code: 4401 });
    expect(await closedNow(b)).toMatchObject({ code: 4401 });
  });

  it("closes every socket of a deleted workspace", async () => {
    const team = await makeTeam();
    const socket = await realtime(team.viewer.token, `?workspaceId=${team.workspace.id}`);
    const res = await call("DELETE", `/v1/workspaces/${team.workspace.id}`, {
      token: team.owner.token,
      body: { confirm: team.workspace.slug },
    });
    expect(res.status).toBe(204);
    expect(await closedNow(socket)).toMatchObject({ code: 4401 });
  });

  it("refuses the next message of a socket whose credential the Gatekeeper has revoked", async () => {
    const team = await makeTeam();
    const key = await mintKey(team.owner.token, team.workspace.id, { scopes: ["data:read"] });
    const live = await realtime(key.token);
    // Revoked at the Gatekeeper only (as if the hub call had failed): the next message closes it.
    await revokeCredential(env, `key:${key.id}`, key.id, { at: Date.now() });
    live.ws.send(JSON.stringify({ type: "ping" }));
    expect(await live.closed).toMatchObject({ code: 4401, reason: "credential revoked" });
    expect(live.frames).toEqual([]);
  });
});

describe("each message is checked again", () => {
  it("closes the socket of someone no longer a member at their next message, even if no close arrived", async () => {
    const team = await makeTeam();
    const live = await realtime(team.member.token, `?workspaceId=${team.workspace.id}`);
    // The membership goes behind the services' back: no hub call, as if it had failed.
    await controlDb(testConfig())
      .delete(memberships)
      .where(and(eq(memberships.workspaceId, team.workspace.id), eq(memberships.userId, team.member.id)));
    live.ws.send(JSON.stringify({ type: "ping" }));
    expect(await live.closed).toMatchObject({ code: 4401 });
  });

  it("holds a credential to 200 open sockets", async () => {
    const team = await makeTeam();
    // On a plan whose request limit (each upgrade is a request) is not what stops it.
    await controlDb(testConfig())
      .update(workspaces)
      .set({ plan: "enterprise" })
      .where(eq(workspaces.id, team.workspace.id));
    const key = await mintKey(team.owner.token, team.workspace.id, { scopes: ["data:read"] });
    const open: TestSocket[] = [];
    for (let i = 0; i < 200; i += 20) {
      open.push(...(await Promise.all(Array.from({ length: 20 }, () => realtime(key.token)))));
    }
    const refused = await openTestSocket("/v1/realtime", { token: key.token });
    expect(refused.res.status).toBe(429);
    for (const socket of open) socket.ws.close(1000);
  });
});

describe("socket tickets", () => {
  const ticketFor = async (token: string, workspaceId: string) => {
    const res = await call("POST", "/v1/realtime/ticket", { token, body: { workspaceId } });
    expect(res.status).toBe(201);
    return json<{ ticket: string; expiresAt: number }>(res);
  };

  it("opens one socket, once, for its own workspace only", async () => {
    const [team, stranger] = await Promise.all([makeTeam(), makeTeam()]);
    const { ticket, expiresAt } = await ticketFor(team.viewer.token, team.workspace.id);
    expect(ticket).toMatch(/^ist_[A-Za-z0-9_-]{43}$/);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(30_000);
    const { socket } = await openTestSocket(`/v1/realtime?ticket=${ticket}`);
    expect(socket).toBeDefined();
    const again = await openTestSocket(`/v1/realtime?ticket=${ticket}`);
    expect(again.res.status).toBe(401);
    socket?.ws.close(1000);

    const other = await ticketFor(team.viewer.token, team.workspace.id);
    const elsewhere = await openTestSocket(
      `/v1/realtime?ticket=${other.ticket}&workspaceId=${stranger.workspace.id}`,
    );
    expect(elsewhere.res.status).toBe(403);
    // Nor can a ticket be had for a workspace the credential is not in.
    const refused = await call("POST", "/v1/realtime/ticket", {
      token: team.viewer.token,
      body: { workspaceId: stranger.workspace.id },
    });
    expect(refused.status).toBe(404);
  });

  it("expires after 30 seconds", async () => {
    const team = await makeTeam();
    const { ticket } = await ticketFor(team.viewer.token, team.workspace.id);
    // Standing in for 30 s passing: the ticket's expiry moves into the past.
    await controlDb(testConfig())
      .update(socketTickets)
      .set({ expiresAt: Date.now() - 1 });
    expect((await openTestSocket(`/v1/realtime?ticket=${ticket}`)).res.status).toBe(401);
  });

  it("dies with its credential", async () => {
    const team = await makeTeam();
    const key = await mintKey(team.owner.token, team.workspace.id, { scopes: ["data:read"] });
    const { ticket } = await ticketFor(key.token, team.workspace.id);
    await call("DELETE", `/v1/workspaces/${team.workspace.id}/keys/${key.id}`, { token: team.owner.token });
    expect((await openTestSocket(`/v1/realtime?ticket=${ticket}`)).res.status).toBe(401);
  });
});

describe("connect-time checks", () => {
  it("answers before the upgrade: no credential, a cookie, a foreign Origin, no upgrade", async () => {
    const team = await makeTeam();
    const path = `/v1/realtime?workspaceId=${team.workspace.id}`;
    expect((await openTestSocket(path)).res.status).toBe(401);
    const cookie = await openTestSocket(path, {
      headers: { Cookie: `__Host-islet_access=${team.viewer.token}` },
    });
    expect(cookie.res.status).toBe(401);
    const foreign = await openTestSocket(path, {
      token: team.viewer.token,
      headers: { Origin: "https://evil.example" },
    });
    expect(foreign.res.status).toBe(403);
    const plain = await call("GET", path, { token: team.viewer.token });
    expect(plain.status).toBe(426);
    const outsider = await makeUser();
    expect((await openTestSocket(path, { token: outsider.token })).res.status).toBe(404);
  });
});
