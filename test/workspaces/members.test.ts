import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { controlDb } from "../../src/db/control/client";
import { apiKeys, invitations, memberships, users } from "../../src/db/control/schema";
import { sha256Hex } from "../../src/lib/crypto";
import { readOutbox } from "../../src/services/mail";
import { call, errorCode, json, makeUser, type TestUser, testConfig, testContext } from "../helpers";
import { addMember, auditActions, makeTeam, mintKey } from "./fixtures";

const db = () => controlDb(testConfig());

async function roleOf(workspaceId: string, userId: string) {
  const rows = await db().select().from(memberships).where(eq(memberships.workspaceId, workspaceId));
  return rows.find((r) => r.userId === userId)?.role ?? null;
}

async function invite(by: TestUser, workspaceId: string, email: string, role = "member") {
  return call("POST", `/v1/workspaces/${workspaceId}/members/invitations`, {
    token: by.token,
    body: { email, role },
  });
}

/** Invites, then reads the token from the email the invitee received (the dev outbox). */
async function invitationToken(by: TestUser, workspaceId: string, email: string, role = "member") {
  const since = Date.now();
  const res = await invite(by, workspaceId, email, role);
  expect(res.status).toBe(201);
  const body = await json<{ token?: string; delivered: boolean; invitation: { id: string } }>(res);
  expect(body.delivered).toBe(true);
  expect(body.token, "the inviter never sees a delivered token").toBeUndefined();
  const [mail] = await readOutbox({ ctx: testContext(), input: { to: email.toLowerCase(), since } });
  const token = /Invitation token: ([0-9a-f]{64})/.exec(mail?.text ?? "")?.[1];
  if (!token) throw new Error("the invitation email carries the token");
  return { token, id: body.invitation.id };
}

const accept = (user: TestUser, token: string) =>
  call("POST", "/v1/invitations/accept", { token: user.token, body: { token } });

/** Signs up through the API with an invitation's token, as an app (or the dashboard) would. */
const signupInvited = (email: string, token: string) =>
  call("POST", "/v1/auth/signup", {
    body: { email, password: "correct horse battery staple 42", invitationToken: token },
    headers: { "CF-Connecting-IP": `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}::7` },
  });

describe("invitations", () => {
  it("lets the invitee join with the invited role, once; stores only the token's hash; audits both", async () => {
    const team = await makeTeam();
    const invitee = await makeUser();
    const { token, id } = await invitationToken(
      team.admin,
      team.workspace.id,
      invitee.email.toUpperCase(),
      "viewer",
    );
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    const [row] = await db().select().from(invitations).where(eq(invitations.id, id));
    expect(row?.tokenHash).toBe(await sha256Hex(token));
    expect(JSON.stringify(row)).not.toContain(token);
    expect(row?.expiresAt).toBe((row?.createdAt ?? 0) + 7 * 86_400_000);

    const res = await accept(invitee, token);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ workspaceId: team.workspace.id, role: "viewer" });
    expect(await roleOf(team.workspace.id, invitee.id)).toBe("viewer");

    const again = await accept(invitee, token);
    expect([again.status, await errorCode(again)]).toEqual([410, "gone"]);
    const actions = (await auditActions(team.workspace)).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["member.invite", "member.join"]));
  });

  it("refuses anyone but the addressee, and does not consume the invitation", async () => {
    const team = await makeTeam();
    const invitee = await makeUser();
    const { token } = await invitationToken(team.owner, team.workspace.id, invitee.email);
    const thief = await makeUser();
    const stolen = await accept(thief, token);
    expect([stolen.status, await errorCode(stolen)]).toEqual([403, "forbidden"]);
    expect(await roleOf(team.workspace.id, thief.id)).toBeNull();
    expect((await accept(invitee, token)).status).toBe(200);
  });

  it("verifies an unverified address on accepting a mailed invitation, and refuses one the mailbox never got", async () => {
    const team = await makeTeam();
    const unverified = await makeUser();
    await db().update(users).set({ emailVerifiedAt: null }).where(eq(users.id, unverified.id));
    const mailed = await invitationToken(team.owner, team.workspace.id, unverified.email);
    const since = Date.now();
    const joined = await accept(unverified, mailed.token);
    expect(joined.status).toBe(200);
    const [user] = await db().select().from(users).where(eq(users.id, unverified.id));
    expect(user?.emailVerifiedAt, "the link proved the mailbox").not.toBeNull();
    expect(await roleOf(team.workspace.id, unverified.id)).toBe("member");
    const mails = await readOutbox({
      ctx: testContext(),
      input: { to: unverified.email.toLowerCase(), since },
    });
    expect(mails, "no second email to verify the address").toHaveLength(0);
    const join = (await auditActions(team.workspace)).find((e) => e.action === "member.join");
    expect(join?.target_id).toBe(unverified.id);

    // A token the inviter was shown (a failed delivery, outside production) proves no mailbox.
    const other = await makeUser();
    await db().update(users).set({ emailVerifiedAt: null }).where(eq(users.id, other.id));
    const shown = await invitationToken(team.owner, team.workspace.id, other.email);
    await db().update(invitations).set({ mailedAt: null }).where(eq(invitations.id, shown.id));
    const refused = await accept(other, shown.token);
    expect([refused.status, await errorCode(refused)]).toEqual([403, "email_unverified"]);
    const [still] = await db().select().from(users).where(eq(users.id, other.id));
    expect(still?.emailVerifiedAt).toBeNull();
  });

  it("refuses an expired invitation and an unknown token", async () => {
    const team = await makeTeam();

    const late = await makeUser();
    const second = await invitationToken(team.owner, team.workspace.id, late.email);
    await db()
      .update(invitations)
      .set({ expiresAt: Date.now() - 1 })
      .where(eq(invitations.id, second.id));
    const expired = await accept(late, second.token);
    expect([expired.status, await errorCode(expired)]).toEqual([410, "gone"]);

    const unknown = await accept(late, "ab".repeat(32));
    expect([unknown.status, await errorCode(unknown)]).toEqual([404, "not_found"]);
  });

  it("lets only owners invite admins, nobody invite owners, and revokes a replaced invitation", async () => {
    const team = await makeTeam();
    const email = (await makeUser()).email;
    const adminInvitesAdmin = await invite(team.admin, team.workspace.id, email, "admin");
    expect([adminInvitesAdmin.status, await errorCode(adminInvitesAdmin)]).toEqual([403, "forbidden"]);
    const owner = await invite(team.owner, team.workspace.id, email, "owner");
    expect(owner.status).toBe(400);
    const memberInvites = await invite(team.member, team.workspace.id, email, "viewer");
    expect([memberInvites.status, await errorCode(memberInvites)]).toEqual([403, "forbidden"]);

    const first = await invitationToken(team.owner, team.workspace.id, email, "admin");
    await invitationToken(team.owner, team.workspace.id, email, "viewer");
    const list = await json<{ invitations: { id: string; status: string }[] }>(
      await call("GET", `/v1/workspaces/${team.workspace.id}/members/invitations`, {
        token: team.admin.token,
      }),
    );
    expect(list.invitations.find((i) => i.id === first.id)?.status).toBe("revoked");
    const already = await invite(team.owner, team.workspace.id, team.member.email, "viewer");
    expect([already.status, await errorCode(already)]).toEqual([409, "conflict"]);
  });
});

describe("roles", () => {
  const patch = (by: TestUser, workspaceId: string, userId: string, role: string) =>
    call("PATCH", `/v1/workspaces/${workspaceId}/members/${userId}`, { token: by.token, body: { role } });

  it("refuses self-promotion and changing one's own role", async () => {
    const team = await makeTeam();
    for (const [who, role] of [
      [team.admin, "owner"],
      [team.member, "admin"],
      [team.owner, "viewer"],
    ] as const) {
      const res = await patch(who, team.workspace.id, who.id, role);
      expect(res.status).toBe(403);
    }
    expect(await roleOf(team.workspace.id, team.admin.id)).toBe("admin");
  });

  it("lets admins manage members and viewers only, and grant at most member", async () => {
    const team = await makeTeam();
    const ok = await patch(team.admin, team.workspace.id, team.viewer.id, "member");
    expect(ok.status).toBe(200);
    expect((await json<{ member: { role: string } }>(ok)).member.role).toBe("member");
    for (const [target, role] of [
      [team.member, "owner"],
      [team.member, "admin"],
      [team.owner, "viewer"],
    ] as const) {
      const res = await patch(team.admin, team.workspace.id, target.id, role);
      expect([res.status, await errorCode(res)]).toEqual([403, "forbidden"]);
    }
    const peer = await addMember(team.workspace, "admin");
    const demotePeer = await patch(team.admin, team.workspace.id, peer.id, "viewer");
    expect(demotePeer.status).toBe(403);
    expect((await auditActions(team.workspace)).map((e) => e.action)).toContain("member.role_change");
  });

  it("lets an owner make a co-owner, and never demote or remove the last owner", async () => {
    const team = await makeTeam();
    expect((await patch(team.owner, team.workspace.id, team.admin.id, "owner")).status).toBe(200);
    expect((await patch(team.admin, team.workspace.id, team.owner.id, "member")).status).toBe(200);
    // team.admin is now the only owner: nobody can demote or remove them, and they cannot leave.
    const leave = await call("POST", `/v1/workspaces/${team.workspace.id}/members/leave`, {
      token: team.admin.token,
    });
    expect([leave.status, await errorCode(leave)]).toEqual([409, "conflict"]);
    expect(await roleOf(team.workspace.id, team.admin.id)).toBe("owner");
  });

  it("removes a member, revokes the keys they created, and audits it", async () => {
    const team = await makeTeam();
    const admin2 = await addMember(team.workspace, "admin");
    const key = await mintKey(admin2.token, team.workspace.id);
    const path = `/v1/workspaces/${team.workspace.id}`;
    expect((await call("GET", path, { token: key.token })).status).toBe(200);
    const removed = await call("DELETE", `${path}/members/${admin2.id}`, { token: team.owner.token });
    expect(removed.status).toBe(204);
    expect(await roleOf(team.workspace.id, admin2.id)).toBeNull();
    const byKey = await call("GET", path, { token: key.token });
    expect([byKey.status, await errorCode(byKey)]).toEqual([401, "credential_revoked"]);
    const [row] = await db().select().from(apiKeys).where(eq(apiKeys.id, key.id));
    expect(row?.revokedAt).not.toBeNull();
    const actions = (await auditActions(team.workspace)).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["member.remove", "key.revoke"]));

    const viewerLeaves = await call("POST", `${path}/members/leave`, { token: team.viewer.token });
    expect(viewerLeaves.status).toBe(204);
    expect((await auditActions(team.workspace)).map((e) => e.action)).toContain("member.leave");
  });

  it("a key with every scope cannot touch members, invitations or ownership", async () => {
    const team = await makeTeam();
    const key = await mintKey(team.owner.token, team.workspace.id, {
      scopes: ["data:read", "data:write", "keys:manage", "secrets:write", "audit:read"],
    });
    const base = `/v1/workspaces/${team.workspace.id}`;
    for (const [method, path, body] of [
      ["PATCH", `${base}/members/${team.member.id}`, { role: "admin" }],
      ["DELETE", `${base}/members/${team.member.id}`, undefined],
      ["POST", `${base}/members/invitations`, { email: "x@example.test", role: "member" }],
      ["POST", `${base}/transfer`, { userId: team.admin.id }],
    ] as const) {
      const res = await call(method, path, { token: key.token, body });
      expect([res.status, await errorCode(res)], `${method} ${path}`).toEqual([403, "forbidden"]);
    }
    expect(await roleOf(team.workspace.id, team.member.id)).toBe("member");
  });
});

describe("signing up with an invitation", () => {
  it("joins the inviting workspace with a verified address, no personal workspace and no second email", async () => {
    const team = await makeTeam();
    const email = `invited-${Date.now()}@example.test`;
    const { token } = await invitationToken(team.admin, team.workspace.id, email, "viewer");
    const since = Date.now();
    const res = await signupInvited(email, token);
    expect(res.status).toBe(201);
    const body = await json<{
      user: { id: string; emailVerified: boolean };
      workspace: { id: string };
      joined: unknown;
    }>(res);
    expect(body.user.emailVerified).toBe(true);
    expect(body.workspace.id).toBe(team.workspace.id);
    expect(body.joined).toEqual({ workspaceId: team.workspace.id, role: "viewer" });
    const owned = await db().select().from(memberships).where(eq(memberships.userId, body.user.id));
    expect(owned.map((m) => [m.workspaceId, m.role])).toEqual([[team.workspace.id, "viewer"]]);
    const mails = await readOutbox({ ctx: testContext(), input: { to: email, since } });
    expect(mails).toHaveLength(0);
    const again = await accept({ ...team.owner }, token);
    expect(again.status).toBe(410);
  });

  it("refuses another address, a used or revoked invitation, and leaves no account behind", async () => {
    const team = await makeTeam();
    const email = `invited-${Date.now()}@example.test`;
    const { token, id } = await invitationToken(team.owner, team.workspace.id, email);
    const elsewhere = `someone-else-${Date.now()}@example.test`;
    const wrong = await signupInvited(elsewhere, token);
    expect([wrong.status, await errorCode(wrong)]).toEqual([403, "forbidden"]);
    expect(await db().select().from(users).where(eq(users.email, elsewhere))).toHaveLength(0);

    await db().update(invitations).set({ revokedAt: Date.now() }).where(eq(invitations.id, id));
    const revoked = await signupInvited(email, token);
    expect([revoked.status, await errorCode(revoked)]).toEqual([410, "gone"]);
    expect(await db().select().from(users).where(eq(users.email, email))).toHaveLength(0);

    // Without an invitation a region is still needed.
    const regionless = await call("POST", "/v1/auth/signup", {
      body: { email, password: "correct horse battery staple 42" },
    });
    expect([regionless.status, await errorCode(regionless)]).toEqual([400, "invalid_request"]);
  });

  it("says which invitation a re-invite replaced, and its role", async () => {
    const team = await makeTeam();
    const email = `reinvited-${Date.now()}@example.test`;
    const first = await invite(team.owner, team.workspace.id, email, "viewer");
    const firstId = (await json<{ invitation: { id: string } }>(first)).invitation.id;
    const second = await invite(team.owner, team.workspace.id, email, "admin");
    expect(await json(second)).toMatchObject({
      invitation: { role: "admin" },
      replaces: { id: firstId, role: "viewer" },
    });
  });
});
