// Issue 28 items 1, 4, 5, 6: standing arrangements answer to their creator. A webhook endpoint
// or an API account stops (disabled, audited, shown to admins) when whoever set it up is removed,
// demoted, taken over, deleted or revoked, and is checked again before every delivery or call, so
// a cleanup that never ran still sends nothing; an endpoint receives only what its creator may
// read; an invitation grants only what its inviter still may; a key cannot escape its revocation
// by rotating itself.
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { controlDb } from "../../src/db/control/client";
import { memberships, users, type WorkspaceRow, workspaces } from "../../src/db/control/schema";
import { tenantDb } from "../../src/db/tenant/client";
import { loginUser, mailedToken, signupUser, strongPassword, testIp } from "../auth/helpers";
import { call, errorCode, json, makeUser, testConfig } from "../helpers";
import { fixture, receivedBy, registerEndpoint, waitFor } from "../outbound/hooks";
import {
  addMember,
  auditActions,
  endUserToken,
  expireKey,
  makeTeam,
  mintKey,
  type Team,
} from "../workspaces/fixtures";

const base = (team: Team) => `/v1/workspaces/${team.workspace.id}`;

async function makeTables(team: Team, names = ["notes"]) {
  for (const name of names) {
    const res = await call("POST", `${base(team)}/tables`, {
      token: team.owner.token,
      body: { name, columns: [{ name: "title", type: "text" }] },
    });
    expect(res.status).toBe(201);
  }
}

const insert = (team: Team, title: string, table = "notes") =>
  call("POST", `${base(team)}/tables/${table}/rows`, { token: team.owner.token, body: { title } });

/** An endpoint of the owner's for the same events: once it has an event, so would every endpoint still standing. */
const witness = (team: Team, events = ["row.created"]) =>
  registerEndpoint(team.owner.token, team.workspace.id, events);

async function webhookState(team: Team, id: string) {
  const res = await call("GET", `${base(team)}/webhooks/${id}`, { token: team.owner.token });
  return (await json<{ webhook: { enabled: boolean; disabledReason: string | null } }>(res)).webhook;
}

async function deliveriesOf(team: Team, id: string) {
  const tenant = await tenantDb(testConfig(), team.workspace);
  const rows = await tenant.execute({
    sql: "SELECT status, response_excerpt FROM _islet_webhook_deliveries WHERE endpoint_id = ? ORDER BY created_at",
    args: [id],
  });
  return rows.rows.map((r) => ({ status: String(r.status), excerpt: String(r.response_excerpt ?? "") }));
}

const titles = (requests: { body: string }[]) =>
  requests.map((r) => (JSON.parse(r.body) as { data: { row: { title: string } } }).data.row.title).sort();

/** Writes `title`, waits until the owner's witness endpoint got it, and returns what `name` got by then. */
async function afterNextRow(team: Team, title: string, watched: { name: string }, witnessName: string) {
  const before = (await receivedBy(witnessName)).length;
  expect((await insert(team, title)).status).toBe(201);
  expect(await waitFor(witnessName, before + 1)).toHaveLength(before + 1);
  return receivedBy(watched.name);
}

describe("webhook endpoints answer to their creator", () => {
  it("stop when the admin who registered them is removed, demoted, or had their key revoked", async () => {
    const team = await makeTeam();
    await makeTables(team);
    const removedAdmin = await addMember(team.workspace, "admin");
    const demotedAdmin = await addMember(team.workspace, "admin");
    const key = await mintKey(team.admin.token, team.workspace.id, {
      scopes: ["secrets:write", "data:read"],
    });
    const hooks = {
      removed: await registerEndpoint(removedAdmin.token, team.workspace.id, ["row.created"]),
      demoted: await registerEndpoint(demotedAdmin.token, team.workspace.id, ["row.created"]),
      revoked: await registerEndpoint(key.token, team.workspace.id, ["row.created"]),
    };
    const owner = await witness(team);
    expect((await insert(team, "first")).status).toBe(201);
    for (const hook of Object.values(hooks)) expect(titles(await waitFor(hook.name, 1))).toEqual(["first"]);

    expect(
      (await call("DELETE", `${base(team)}/members/${removedAdmin.id}`, { token: team.owner.token })).status,
    ).toBe(204);
    const demote = await call("PATCH", `${base(team)}/members/${demotedAdmin.id}`, {
      token: team.owner.token,
      body: { role: "member" },
    });
    expect(demote.status).toBe(200);
    expect((await call("DELETE", `${base(team)}/keys/${key.id}`, { token: team.admin.token })).status).toBe(
      200,
    );

    for (const hook of Object.values(hooks)) {
      expect(titles(await afterNextRow(team, `after ${hook.id}`, hook, owner.name))).toEqual(["first"]);
      expect(await webhookState(team, hook.id)).toMatchObject({ enabled: false });
    }
    expect((await webhookState(team, hooks.removed.id)).disabledReason).toMatch(/removed/);
    expect((await webhookState(team, hooks.demoted.id)).disabledReason).toMatch(/demoted/);
    expect((await webhookState(team, hooks.revoked.id)).disabledReason).toMatch(/revoked/);
    const disabled = (await auditActions(team.workspace)).filter((a) => a.action === "webhook.disable");
    expect(disabled.map((a) => a.target_id).sort()).toEqual(
      Object.values(hooks)
        .map((h) => h.id)
        .sort(),
    );

    // Another admin may take one over: it answers to them from then on.
    const enable = await call("PATCH", `${base(team)}/webhooks/${hooks.removed.id}`, {
      token: team.admin.token,
      body: { enabled: true },
    });
    expect(enable.status).toBe(200);
    expect((await insert(team, "again")).status).toBe(201);
    expect(titles(await waitFor(hooks.removed.name, 2))).toEqual(["again", "first"]);
  });

  it("check the creator before every delivery, so a cleanup that never ran still sends nothing", async () => {
    const team = await makeTeam();
    await makeTables(team);
    const key = await mintKey(team.admin.token, team.workspace.id, {
      scopes: ["secrets:write", "data:read"],
    });
    const byKey = await registerEndpoint(key.token, team.workspace.id, ["row.created"]);
    const byAdmin = await registerEndpoint(team.admin.token, team.workspace.id, ["row.created"]);
    const owner = await witness(team);
    expect((await insert(team, "first")).status).toBe(201);
    for (const hook of [byKey, byAdmin, owner])
      expect(titles(await waitFor(hook.name, 1))).toEqual(["first"]);

    // The key expires (no event announces it), and the admin's membership disappears behind
    // islet's back (a removal whose cleanup failed).
    await expireKey(key.id);
    await controlDb(testConfig())
      .delete(memberships)
      .where(and(eq(memberships.workspaceId, team.workspace.id), eq(memberships.userId, team.admin.id)));

    // A delivery already queued for the admin's endpoint, sent again: checked before it goes.
    const [delivery] = (
      await json<{ deliveries: { id: string }[] }>(
        await call("GET", `${base(team)}/webhooks/${byAdmin.id}/deliveries`, { token: team.owner.token }),
      )
    ).deliveries;
    const redeliver = await call(
      "POST",
      `${base(team)}/webhooks/${byAdmin.id}/deliveries/${delivery?.id}/redeliver`,
      { token: team.owner.token },
    );
    expect(redeliver.status).toBe(202);
    let log = await deliveriesOf(team, byAdmin.id);
    for (let i = 0; i < 100 && log[0]?.status === "pending"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      log = await deliveriesOf(team, byAdmin.id);
    }
    expect(log[0]).toMatchObject({ status: "failed", excerpt: expect.stringMatching(/^not sent: /) });

    expect(titles(await afterNextRow(team, "second", byKey, owner.name))).toEqual(["first"]);
    expect(titles(await receivedBy(byAdmin.name))).toEqual(["first"]);
    expect(await webhookState(team, byKey.id)).toMatchObject({
      enabled: false,
      disabledReason: expect.stringMatching(/expired/),
    });
    expect(await webhookState(team, byAdmin.id)).toMatchObject({
      enabled: false,
      disabledReason: expect.stringMatching(/no longer a member/),
    });
  });

  it("need a verified creator, and stop when the address's owner takes over an unverified account", async () => {
    const squatter = await signupUser();
    const ws = squatter.workspace.id;
    const auth = { token: squatter.session.accessToken };
    const refused = await call("POST", `/v1/workspaces/${ws}/webhooks`, {
      ...auth,
      body: { url: `${fixture}/hooks/never`, events: ["row.created"] },
    });
    expect([refused.status, await errorCode(refused)]).toEqual([403, "email_unverified"]);
    const account = await call("PUT", `/v1/workspaces/${ws}/accounts/upstream`, {
      ...auth,
      body: { baseUrl: `${fixture}/api`, authHeaderName: "X-Api-Key", authHeaderValue: "sk-squatter-1234" },
    });
    expect([account.status, await errorCode(account)]).toEqual([403, "email_unverified"]);

    // One made before the rule existed (the account verified, then not, as older data may be).
    const setVerified = (at: number | null) =>
      controlDb(testConfig()).update(users).set({ emailVerifiedAt: at }).where(eq(users.id, squatter.id));
    await setVerified(Date.now() - 1000);
    const hook = await registerEndpoint(auth.token, ws, ["row.created"]);
    await setVerified(null);

    const ip = testIp();
    await call("POST", "/v1/auth/password-reset/request", {
      body: { email: squatter.email },
      headers: { "CF-Connecting-IP": ip },
    });
    const reset = await call("POST", "/v1/auth/password-reset/confirm", {
      body: { token: await mailedToken(squatter.email, "password_reset"), password: strongPassword() },
      headers: { "CF-Connecting-IP": ip },
    });
    expect(reset.status).toBe(204);
    const [row] = await controlDb(testConfig()).select().from(users).where(eq(users.id, squatter.id));
    expect(row?.emailVerifiedAt).not.toBeNull();
    const [workspace] = await controlDb(testConfig()).select().from(workspaces).where(eq(workspaces.id, ws));
    const tenant = await tenantDb(testConfig(), workspace as WorkspaceRow);
    const [state] = (
      await tenant.execute({
        sql: "SELECT enabled, disabled_reason FROM _islet_webhooks WHERE id = ?",
        args: [hook.id],
      })
    ).rows;
    expect(state).toMatchObject({ enabled: 0, disabled_reason: expect.stringMatching(/taken over/) });
  });

  it("are not stopped by a stale verification link clicked after the owner claimed the account", async () => {
    const user = await signupUser();
    const staleLink = await mailedToken(user.email, "verify_email");
    const ip = testIp();
    await call("POST", "/v1/auth/password-reset/request", {
      body: { email: user.email },
      headers: { "CF-Connecting-IP": ip },
    });
    const password = strongPassword();
    const reset = await call("POST", "/v1/auth/password-reset/confirm", {
      body: { token: await mailedToken(user.email, "password_reset"), password },
      headers: { "CF-Connecting-IP": ip },
    });
    expect(reset.status).toBe(204);
    const token = (await loginUser(user.email, password, ip)).accessToken;
    const ws = user.workspace.id;
    const table = await call("POST", `/v1/workspaces/${ws}/tables`, {
      token,
      body: { name: "notes", columns: [{ name: "title", type: "text" }] },
    });
    expect(table.status).toBe(201);
    const hook = await registerEndpoint(token, ws, ["row.created"]);
    expect((await call("POST", "/v1/auth/verify-email", { body: { token: staleLink } })).status).toBe(200);
    const write = await call("POST", `/v1/workspaces/${ws}/tables/notes/rows`, {
      token,
      body: { title: "kept" },
    });
    expect(write.status).toBe(201);
    expect(titles(await waitFor(hook.name, 1))).toEqual(["kept"]);
  });

  it("may be switched off by anyone who manages webhooks, without taking them over", async () => {
    const team = await makeTeam();
    const hook = await registerEndpoint(team.admin.token, team.workspace.id, ["row.created"]);
    const blind = await mintKey(team.owner.token, team.workspace.id, { scopes: ["secrets:write"] });
    const off = await call("PATCH", `${base(team)}/webhooks/${hook.id}`, {
      token: blind.token,
      body: { enabled: false },
    });
    expect(off.status).toBe(200);
    const tenant = await tenantDb(testConfig(), team.workspace);
    const [row] = (
      await tenant.execute({ sql: "SELECT created_by FROM _islet_webhooks WHERE id = ?", args: [hook.id] })
    ).rows;
    expect(row?.created_by).toBe(team.admin.id);
  });

  it("deliver only what their creator may read: a key's scopes and table allowlist", async () => {
    const team = await makeTeam();
    await makeTables(team, ["notes", "payroll"]);
    const narrow = await mintKey(team.admin.token, team.workspace.id, {
      scopes: ["secrets:write", "data:read"],
      tables: ["notes"],
    });
    // Refused every direct read of payroll…
    const read = await call("GET", `${base(team)}/tables/payroll/rows`, { token: narrow.token });
    expect(read.status).toBe(403);
    // …and a key that may not read rows at all may not subscribe to them.
    const blind = await mintKey(team.admin.token, team.workspace.id, { scopes: ["secrets:write"] });
    const subscribe = await call("POST", `${base(team)}/webhooks`, {
      token: blind.token,
      body: { url: `${fixture}/hooks/blind`, events: ["row.created"] },
    });
    expect([subscribe.status, await errorCode(subscribe)]).toEqual([403, "insufficient_scope"]);
    const keys = await call("POST", `${base(team)}/webhooks`, {
      token: narrow.token,
      body: { url: `${fixture}/hooks/keys`, events: ["key.created"] },
    });
    expect([keys.status, await errorCode(keys)]).toEqual([403, "insufficient_scope"]);

    const hook = await registerEndpoint(narrow.token, team.workspace.id, ["row.created"]);
    const owner = await witness(team);
    for (const [table, title] of [
      ["payroll", "salary"],
      ["notes", "hello"],
    ] as const) {
      expect((await insert(team, title, table)).status).toBe(201);
    }
    await waitFor(owner.name, 2);
    const got = await waitFor(hook.name, 1);
    expect(titles(got)).toEqual(["hello"]);
    expect(got.map((r) => r.body).join()).not.toContain("salary");
  });
});

describe("API accounts answer to their creator", () => {
  const put = (team: Team, token: string, name = "upstream") =>
    call("PUT", `${base(team)}/accounts/${name}`, {
      token,
      body: {
        baseUrl: `${fixture}/api`,
        authHeaderName: "X-Api-Key",
        authHeaderValue: "sk-standing-0123456789",
      },
    });
  const fetchVia = (team: Team, name = "upstream") =>
    call("POST", `${base(team)}/accounts/${name}/fetch`, {
      token: team.member.token,
      body: { method: "GET", path: "/ping" },
    });

  it("stop when their creator is removed, or at their next call when the cleanup never ran", async () => {
    const team = await makeTeam();
    const leaving = await addMember(team.workspace, "admin");
    expect((await put(team, leaving.token, "removed")).status).toBe(200);
    expect((await put(team, team.admin.token, "vanished")).status).toBe(200);
    for (const name of ["removed", "vanished"]) expect((await fetchVia(team, name)).status).toBe(200);

    await call("DELETE", `${base(team)}/members/${leaving.id}`, { token: team.owner.token });
    await controlDb(testConfig())
      .delete(memberships)
      .where(and(eq(memberships.workspaceId, team.workspace.id), eq(memberships.userId, team.admin.id)));

    for (const name of ["removed", "vanished"]) {
      const res = await fetchVia(team, name);
      expect([name, res.status, await errorCode(res)]).toEqual([name, 403, "forbidden"]);
    }
    const list = await json<{
      accounts: { name: string; enabled: boolean; disabledReason: string | null }[];
    }>(await call("GET", `${base(team)}/accounts`, { token: team.owner.token }));
    expect(list.accounts.map((a) => [a.name, a.enabled])).toEqual([
      ["removed", false],
      ["vanished", false],
    ]);
    const actions = await auditActions(team.workspace);
    expect(
      actions
        .filter((a) => a.action === "account.disable")
        .map((a) => a.target_id)
        .sort(),
    ).toEqual(["removed", "vanished"]);
    // Put again by an admin who stands, it works again, answering to them.
    expect((await put(team, team.owner.token, "removed")).status).toBe(200);
    expect((await fetchVia(team, "removed")).status).toBe(200);
  });

  it("are never listed or called by a workspace's end users", async () => {
    const team = await makeTeam();
    expect((await put(team, team.admin.token)).status).toBe(200);
    const issuer = {
      secret: `std-${crypto.randomUUID()}`,
      issuer: "https://auth.standing.test",
      audience: "app",
    };
    await call("POST", `${base(team)}/issuers`, {
      token: team.owner.token,
      body: { name: "app", kind: "hs256", ...issuer },
    });
    const token = await endUserToken({ ...issuer, claims: { role: "member" } });
    // Nor through a function they run: the host call is made on their behalf.
    const probe = await call("POST", `${base(team)}/functions`, {
      token: team.member.token,
      body: {
        name: "probe",
        code: `async function main() { try { await islet.accounts.fetch("upstream", { method: "GET", path: "/x" }); return "called"; } catch (e) { return e.code; } }`,
      },
    });
    expect(probe.status).toBe(201);
    const run = await call("POST", `${base(team)}/functions/probe/invoke`, { token, body: {} });
    expect(await json(run)).toMatchObject({ result: "forbidden" });
    for (const res of [
      await call("GET", `${base(team)}/accounts`, { token }),
      await call("POST", `${base(team)}/accounts/upstream/fetch`, {
        token,
        body: { method: "GET", path: "/x" },
      }),
    ]) {
      expect([res.status, await errorCode(res)]).toEqual([403, "forbidden"]);
    }
  });
});

describe("invitations grant only what their inviter still may", () => {
  async function invite(team: Team, inviter: { token: string }, role = "member") {
    const email = `invitee-${crypto.randomUUID().slice(0, 8)}@example.test`;
    const res = await call("POST", `${base(team)}/members/invitations`, {
      token: inviter.token,
      body: { email, role },
    });
    expect(res.status).toBe(201);
    const invitee = await makeUser({ email });
    return {
      invitee,
      id: (await json<{ invitation: { id: string } }>(res)).invitation.id,
      token: await mailedToken(email, "workspace_invitation"),
    };
  }
  const accept = (token: string, invitationToken: string) =>
    call("POST", "/v1/invitations/accept", { token, body: { token: invitationToken } });

  it("are revoked when the inviter is removed, and refused at acceptance if that cleanup never ran", async () => {
    const team = await makeTeam();
    const inviter = await addMember(team.workspace, "admin");
    const pending = await invite(team, inviter);
    const bypassed = await invite(team, team.admin);
    await call("DELETE", `${base(team)}/members/${inviter.id}`, { token: team.owner.token });
    const list = await json<{ invitations: { id: string; status: string }[] }>(
      await call("GET", `${base(team)}/members/invitations`, { token: team.owner.token }),
    );
    expect(list.invitations.find((i) => i.id === pending.id)?.status).toBe("revoked");
    const first = await accept(pending.invitee.token, pending.token);
    expect([first.status, await errorCode(first)]).toEqual([410, "gone"]);

    // The admin demoted behind islet's back: the invitation is still pending, and grants nothing.
    await controlDb(testConfig())
      .update(memberships)
      .set({ role: "viewer" })
      .where(and(eq(memberships.workspaceId, team.workspace.id), eq(memberships.userId, team.admin.id)));
    const second = await accept(bypassed.invitee.token, bypassed.token);
    expect([second.status, await errorCode(second)]).toEqual([410, "gone"]);
    const members = await json<{ members: { userId: string }[] }>(
      await call("GET", `${base(team)}/members`, { token: team.owner.token }),
    );
    expect(members.members.map((m) => m.userId)).not.toContain(bypassed.invitee.id);
  });

  it("an owner demoted to admin keeps the invitations an admin may send, and loses the others", async () => {
    const team = await makeTeam();
    const coOwner = await addMember(team.workspace, "owner");
    const asAdmin = await invite(team, coOwner, "admin");
    const asMember = await invite(team, coOwner, "member");
    await call("PATCH", `${base(team)}/members/${coOwner.id}`, {
      token: team.owner.token,
      body: { role: "admin" },
    });
    expect(await errorCode(await accept(asAdmin.invitee.token, asAdmin.token))).toBe("gone");
    expect((await accept(asMember.invitee.token, asMember.token)).status).toBe(200);
  });
});

describe("a key that rotates itself", () => {
  it("does not escape its revocation: the successor dies with it, during or after the grace period", async () => {
    const team = await makeTeam();
    const ws = team.workspace.id;
    const reads = (token: string) => call("GET", `/v1/workspaces/${ws}/tables`, { token });
    for (const graceSeconds of [600, 0]) {
      const leaked = await mintKey(team.admin.token, ws, { scopes: ["data:read", "keys:manage"] });
      const rotated = await call("POST", `/v1/workspaces/${ws}/keys/${leaked.id}/rotate`, {
        token: leaked.token,
        body: { graceSeconds },
      });
      expect(rotated.status).toBe(201);
      const successor = await json<{ key: { id: string }; token: string }>(rotated);
      const grandchild = await mintKey(successor.token, ws, { scopes: ["data:read"] });
      expect((await reads(successor.token)).status).toBe(200);
      const revoke = await call("DELETE", `/v1/workspaces/${ws}/keys/${leaked.id}`, {
        token: team.admin.token,
      });
      expect(revoke.status).toBe(200);
      for (const token of [leaked.token, successor.token, grandchild.token]) {
        expect([graceSeconds, await errorCode(await reads(token))]).toEqual([
          graceSeconds,
          "credential_revoked",
        ]);
      }
    }
  });

  it("keeps what it set up working through an ordinary rotation", async () => {
    const team = await makeTeam();
    await makeTables(team);
    const key = await mintKey(team.admin.token, team.workspace.id, {
      scopes: ["secrets:write", "data:read"],
    });
    const hook = await registerEndpoint(key.token, team.workspace.id, ["row.created"]);
    // Rotated daily for weeks: the newest successor stands in, however long the chain.
    let current = key.id;
    for (let day = 0; day < 20; day++) {
      const rotate = await call("POST", `${base(team)}/keys/${current}/rotate`, {
        token: team.admin.token,
        body: { graceSeconds: 0 },
      });
      expect(rotate.status).toBe(201);
      current = (await json<{ key: { id: string } }>(rotate)).key.id;
    }
    expect((await insert(team, "kept")).status).toBe(201);
    expect(titles(await waitFor(hook.name, 1))).toEqual(["kept"]);
  });
});
