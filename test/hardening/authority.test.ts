// Issue 13 items 3–5: authority ends when the grant ends. Unverified accounts create no
// credentials and lose what they made when the address's owner claims them; issuers die with
// their creator's role; child keys die with their parent.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { controlDb } from "../../src/db/control/client";
import { apiKeys, users, type WorkspaceRow, workspaces } from "../../src/db/control/schema";
import { mailedToken, signupUser, strongPassword, testIp } from "../auth/helpers";
import { call, errorCode, json, makeUser, testConfig } from "../helpers";
import { auditActions, endUserToken, makeTeam, mintKey } from "../workspaces/fixtures";

const ISSUER_SECRET = "an-hs256-secret-of-at-least-32-characters!";
const setVerified = (userId: string, at: number | null) =>
  controlDb(testConfig()).update(users).set({ emailVerifiedAt: at }).where(eq(users.id, userId));

async function registerIssuer(token: string, workspaceId: string, extra: Record<string, unknown> = {}) {
  const res = await call("POST", `/v1/workspaces/${workspaceId}/issuers`, {
    token,
    body: {
      name: "App auth",
      kind: "hs256",
      secret: ISSUER_SECRET,
      issuer: `https://auth-${Math.random().toString(36).slice(2)}.myapp.test`,
      audience: "myapp",
      ...extra,
    },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await json<{ issuer: { id: string; issuer: string } }>(res)).issuer;
}

const appToken = (issuer: string, claims: Record<string, unknown> = {}) =>
  endUserToken({ secret: ISSUER_SECRET, issuer, audience: "myapp", claims });

describe("unverified accounts (pre-hijacking)", () => {
  it("may use their personal workspace's data but create no keys, issuers, invitations or workspaces", async () => {
    const squatter = await signupUser();
    const auth = { token: squatter.session.accessToken };
    const base = `/v1/workspaces/${squatter.workspace.id}`;
    const table = await call("POST", `${base}/tables`, {
      ...auth,
      body: { name: "notes", columns: [{ name: "body", type: "text" }] },
    });
    expect(table.status).toBe(201);
    const refused = [
      await call("POST", `${base}/keys`, { ...auth, body: { name: "k", scopes: ["data:read"] } }),
      await call("POST", `${base}/issuers`, {
        ...auth,
        body: { name: "i", kind: "hs256", secret: ISSUER_SECRET, issuer: "https://x.test", audience: "a" },
      }),
      await call("POST", `${base}/members/invitations`, {
        ...auth,
        body: { email: "friend@example.test", role: "member" },
      }),
      await call("POST", "/v1/workspaces", { ...auth, body: { name: "Another", region: "eu-west" } }),
    ];
    for (const res of refused) expect([res.status, await errorCode(res)]).toEqual([403, "email_unverified"]);
  });

  it("a password reset by the address's owner revokes every key, issuer, invitation and membership it made", async () => {
    const squatter = await signupUser();
    const auth = { token: squatter.session.accessToken };
    const workspaceId = squatter.workspace.id;
    // An account made before the verified-email rule: it could create credentials while unproven.
    await setVerified(squatter.id, Date.now());
    const key = await mintKey(auth.token, workspaceId, { scopes: ["data:read"] });
    const issuer = await registerIssuer(auth.token, workspaceId);
    const accomplice = await makeUser();
    const invite = async (email: string) => {
      const res = await call("POST", `/v1/workspaces/${workspaceId}/members/invitations`, {
        ...auth,
        body: { email, role: "admin" },
      });
      expect(res.status).toBe(201);
      return json<{ invitation: { id: string }; token?: string }>(res);
    };
    await invite(accomplice.email);
    const inviteToken = await mailedToken(accomplice.email.toLowerCase(), "workspace_invitation");
    expect(
      (
        await call("POST", "/v1/invitations/accept", {
          token: accomplice.token,
          body: { token: inviteToken },
        })
      ).status,
    ).toBe(200);
    const accompliceKey = await mintKey(accomplice.token, workspaceId, { scopes: ["data:read"] });
    const pending = await invite("someone-else@example.test");
    await setVerified(squatter.id, null);

    const reads = (token: string) => call("GET", `/v1/workspaces/${workspaceId}/tables`, { token });
    expect((await reads(key.token)).status).toBe(200);
    expect((await reads(await appToken(issuer.issuer))).status).toBe(200);

    // The real owner of the address resets the password.
    const ip = testIp();
    await call("POST", "/v1/auth/password-reset/request", {
      body: { email: squatter.email },
      headers: { "CF-Connecting-IP": ip },
    });
    const resetToken = await mailedToken(squatter.email, "password_reset");
    const reset = await call("POST", "/v1/auth/password-reset/confirm", {
      body: { token: resetToken, password: strongPassword() },
      headers: { "CF-Connecting-IP": ip },
    });
    expect(reset.status).toBe(204);

    expect(await errorCode(await reads(key.token))).toBe("credential_revoked");
    expect(await errorCode(await reads(accompliceKey.token))).toBe("credential_revoked");
    expect(await errorCode(await reads(await appToken(issuer.issuer)))).toBe("credential_revoked");
    expect((await reads(accomplice.token)).status).toBe(404);
    const [row] = await controlDb(testConfig())
      .select()
      .from(workspaces)
      .where(eq(workspaces.id, workspaceId));
    const actions = (await auditActions(row as WorkspaceRow)).map((a) => `${a.action}:${a.target_id}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        `key.revoke:${key.id}`,
        `key.revoke:${accompliceKey.id}`,
        `issuer.disable:${issuer.id}`,
        `member.remove:${accomplice.id}`,
        `invitation.revoke:${pending.invitation.id}`,
      ]),
    );
  });
});

describe("issuers answer to their creator", () => {
  it("stop when their creator is demoted or removed, and are audited as disabled", async () => {
    const team = await makeTeam();
    const ws = team.workspace.id;
    const demoted = await registerIssuer(team.admin.token, ws);
    const reads = (token: string) => call("GET", `/v1/workspaces/${ws}/tables`, { token });
    expect((await reads(await appToken(demoted.issuer))).status).toBe(200);
    const demote = await call("PATCH", `/v1/workspaces/${ws}/members/${team.admin.id}`, {
      token: team.owner.token,
      body: { role: "member" },
    });
    expect(demote.status).toBe(200);
    expect(await errorCode(await reads(await appToken(demoted.issuer)))).toBe("credential_revoked");

    const second = await makeTeam();
    const removed = await registerIssuer(second.admin.token, second.workspace.id);
    const readsSecond = (token: string) =>
      call("GET", `/v1/workspaces/${second.workspace.id}/tables`, { token });
    expect((await readsSecond(await appToken(removed.issuer))).status).toBe(200);
    await call("DELETE", `/v1/workspaces/${second.workspace.id}/members/${second.admin.id}`, {
      token: second.owner.token,
    });
    expect(await errorCode(await readsSecond(await appToken(removed.issuer)))).toBe("credential_revoked");
    expect((await auditActions(team.workspace)).map((a) => a.action)).toContain("issuer.disable");
    expect((await auditActions(second.workspace)).map((a) => a.action)).toContain("issuer.disable");
  });

  it("makes end users viewers by default and confines them to the issuer's tables", async () => {
    const team = await makeTeam();
    const base = `/v1/workspaces/${team.workspace.id}`;
    for (const name of ["open", "closed"]) {
      await call("POST", `${base}/tables`, {
        token: team.owner.token,
        body: { name, columns: [{ name: "a", type: "text" }] },
      });
    }
    const issuer = await registerIssuer(team.admin.token, team.workspace.id, { tables: ["open"] });
    const user = await appToken(issuer.issuer);
    expect((await call("GET", `${base}/tables/open/rows`, { token: user })).status).toBe(200);
    const closed = await call("GET", `${base}/tables/closed/rows`, { token: user });
    expect([closed.status, await errorCode(closed)]).toEqual([403, "forbidden"]);
    const write = await call("POST", `${base}/tables/open/rows`, { token: user, body: { a: "x" } });
    expect(write.status).toBe(403);
    const member = await appToken(issuer.issuer, { role: "member" });
    expect((await call("POST", `${base}/tables/open/rows`, { token: member, body: { a: "x" } })).status).toBe(
      201,
    );
  });
});

describe("child keys answer to their parent", () => {
  it("are revoked with their parent, transitively, from the next request", async () => {
    const team = await makeTeam();
    const ws = team.workspace.id;
    const scopes = ["data:read", "keys:manage"];
    const parent = await mintKey(team.admin.token, ws, { scopes });
    const child = await mintKey(parent.token, ws, { scopes });
    const grandchild = await mintKey(child.token, ws, { scopes: ["data:read"] });
    const reads = (token: string) => call("GET", `/v1/workspaces/${ws}/tables`, { token });
    expect((await reads(grandchild.token)).status).toBe(200);
    const revoke = await call("DELETE", `/v1/workspaces/${ws}/keys/${parent.id}`, {
      token: team.admin.token,
    });
    expect(revoke.status).toBeLessThan(300);
    expect(await errorCode(await reads(child.token))).toBe("credential_revoked");
    expect(await errorCode(await reads(grandchild.token))).toBe("credential_revoked");
  });

  it("are revoked when their parent is rotated; a key in its grace period cannot manage keys", async () => {
    const team = await makeTeam();
    const ws = team.workspace.id;
    const scopes = ["data:read", "keys:manage"];
    const parent = await mintKey(team.admin.token, ws, { scopes });
    const child = await mintKey(parent.token, ws, { scopes: ["data:read"] });
    const rotate = await call("POST", `/v1/workspaces/${ws}/keys/${parent.id}/rotate`, {
      token: team.admin.token,
      body: { graceSeconds: 0 },
    });
    expect(rotate.status).toBe(201);
    expect(await errorCode(await call("GET", `/v1/workspaces/${ws}/tables`, { token: child.token }))).toBe(
      "credential_revoked",
    );

    const graced = await mintKey(team.admin.token, ws, { scopes });
    await call("POST", `/v1/workspaces/${ws}/keys/${graced.id}/rotate`, {
      token: team.admin.token,
      body: { graceSeconds: 600 },
    });
    expect((await call("GET", `/v1/workspaces/${ws}/tables`, { token: graced.token })).status).toBe(200);
    const mint = await call("POST", `/v1/workspaces/${ws}/keys`, {
      token: graced.token,
      body: { name: "from grace", scopes: ["data:read"] },
    });
    expect([mint.status, await errorCode(mint)]).toEqual([403, "forbidden"]);
  });

  it("cannot rotate their parent or a sibling, nor revoke a key above them, and die with a parent revoked behind their back", async () => {
    const team = await makeTeam();
    const ws = team.workspace.id;
    const scopes = ["data:read", "keys:manage"];
    const parent = await mintKey(team.admin.token, ws, { scopes });
    const child = await mintKey(parent.token, ws, { scopes });
    const sibling = await mintKey(parent.token, ws, { scopes: ["data:read"] });
    for (const [method, path] of [
      ["POST", `/v1/workspaces/${ws}/keys/${parent.id}/rotate`],
      ["DELETE", `/v1/workspaces/${ws}/keys/${parent.id}`],
      ["POST", `/v1/workspaces/${ws}/keys/${sibling.id}/rotate`],
    ] as const) {
      const res = await call(method, path, {
        token: child.token,
        body: method === "POST" ? { graceSeconds: 60 } : undefined,
      });
      expect([res.status, await errorCode(res)], `${method} ${path}`).toEqual([403, "forbidden"]);
    }
    // A grandchild it minted is its own to revoke.
    const own = await mintKey(child.token, ws, { scopes: ["data:read"] });
    expect((await call("DELETE", `/v1/workspaces/${ws}/keys/${own.id}`, { token: child.token })).status).toBe(
      200,
    );
    // The parent revoked without its descendants (a mint that raced the revocation): still refused.
    await controlDb(testConfig())
      .update(apiKeys)
      .set({ revokedAt: Date.now() - 1 })
      .where(eq(apiKeys.id, parent.id));
    const after = await call("GET", `/v1/workspaces/${ws}/tables`, { token: sibling.token });
    expect([after.status, await errorCode(after)]).toEqual([401, "credential_revoked"]);
  });

  it("cannot outlive their parent's expiry", async () => {
    const team = await makeTeam();
    const ws = team.workspace.id;
    const expiresAt = Date.now() + 3_600_000;
    const parent = await mintKey(team.admin.token, ws, { scopes: ["data:read", "keys:manage"], expiresAt });
    const longer = await call("POST", `/v1/workspaces/${ws}/keys`, {
      token: parent.token,
      body: { name: "longer", scopes: ["data:read"], expiresAt: expiresAt + 1000 },
    });
    expect(longer.status).toBe(403);
    const inherited = await call("POST", `/v1/workspaces/${ws}/keys`, {
      token: parent.token,
      body: { name: "inherits", scopes: ["data:read"] },
    });
    expect(await json(inherited)).toMatchObject({ key: { expiresAt } });
  });
});
