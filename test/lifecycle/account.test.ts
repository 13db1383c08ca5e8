// Account lifecycle (issue 18): the export holds the account's data and no secret; deletion
// removes exactly the account's own things (solely owned workspaces with their databases,
// Gatekeeper and hub state; memberships of shared ones) and ends with a certificate that
// verifies against the published JWKS and fails when altered or signed by another key; a
// deletion that stopped midway is finished by the scheduled handler.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { controlDb } from "../../src/db/control/client";
import { accountDeletions, memberships, users, workspaces } from "../../src/db/control/schema";
import worker from "../../src/index";
import { provisionerFor } from "../../src/provision";
import { revokeSessions } from "../../src/services/auth";
import { monthlyUsage } from "../../src/services/gatekeeper";
import { CERTIFICATE_TYPE } from "../../src/services/lifecycle";
import { destroyWorkspace } from "../../src/services/workspaces/destroy";
import { openTestSocket, type TestSocket } from "../agents/helpers";
import { loginUser, outbox, signupUser } from "../auth/helpers";
import { call, errorCode, json, makeUser, makeWorkspace, testConfig, testContext } from "../helpers";
import { addMember, mintKey } from "../workspaces/fixtures";

interface Deleted {
  certificate: string;
  report: { workspacesDeleted: { id: string }[]; workspacesLeft: string[]; keysRevoked: number };
}

const deleteMe = (token: string, body: Record<string, unknown>) =>
  call("DELETE", "/v1/account", { token, body });

async function jwks() {
  const res = await call("GET", "/.well-known/jwks.json");
  expect(res.status).toBe(200);
  const set = await json<{ keys: Record<string, unknown>[] }>(res);
  for (const key of set.keys) expect(key).not.toHaveProperty("d");
  return set;
}

describe("account export", () => {
  it("holds the account's data and no secret, hash or token", async () => {
    const user = await signupUser({ name: "Exporter" });
    const token = user.session.accessToken;
    const key = await mintKey(token, user.workspace.id).catch(() => undefined);
    const res = await call("GET", "/v1/account/export", { token });
    expect(res.status).toBe(200);
    const text = await res.text();
    const data = JSON.parse(text) as {
      profile: { email: string; name: string };
      memberships: { workspaceId: string; role: string }[];
      sessions: unknown[];
      securityEvents: unknown[];
    };
    expect(data.profile).toMatchObject({ email: user.email, name: "Exporter" });
    expect(data.memberships).toEqual([
      expect.objectContaining({ workspaceId: user.workspace.id, role: "owner" }),
    ]);
    expect(data.sessions.length).toBeGreaterThan(0);
    for (const secret of [user.password, user.session.accessToken, user.session.refreshToken, key?.token]) {
      if (secret) expect(text).not.toContain(secret);
    }
    expect(text).not.toMatch(/\$argon2/);
    // (Audit entries carry their chain hashes, which are not secrets; credential hashes never appear.)
    expect(text).not.toMatch(
      /"(secretHash|secret_hash|refreshHash|refresh_hash|passwordHash|password_hash)"/,
    );
  });
});

describe("account deletion", () => {
  it("needs the typed email and the password", async () => {
    const user = await signupUser();
    const token = user.session.accessToken;
    expect(
      await errorCode(await deleteMe(token, { confirm: "someone@else.example", password: user.password })),
    ).toBe("confirmation_required");
    expect(
      await errorCode(await deleteMe(token, { confirm: user.email, password: "wrong password here" })),
    ).toBe("unauthorized");
    expect(await errorCode(await deleteMe(token, { confirm: user.email }))).toBe("unauthorized");
    expect((await call("GET", "/v1/account/export", { token })).status).toBe(200);
  });

  it("removes exactly the account's things and returns a certificate that verifies", async () => {
    const config = testConfig();
    const db = controlDb(config);
    const user = await signupUser();
    const token = user.session.accessToken;
    const solo = user.workspace.id;
    const [soloRow] = await db.select().from(workspaces).where(eq(workspaces.id, solo));
    // A second workspace, owned by someone else too: it stays, without this user.
    const other = await makeUser();
    const shared = await makeWorkspace(other);
    await addMember(shared, "owner", { id: user.id } as never);
    await mintKey(token, solo).catch(() => undefined);
    // Something for the Gatekeeper to remember about the solo workspace.
    await call("GET", `/v1/workspaces/${solo}/tables`, { token });
    expect((await monthlyUsage(env, `ws:${solo}`)).used).toBeGreaterThan(0);
    // Live sockets: the user's in both workspaces, and the other owner's in the shared one.
    const socket = async (workspaceId: string, as: string): Promise<TestSocket> => {
      const { socket: open, res } = await openTestSocket(`/v1/realtime?workspaceId=${workspaceId}`, {
        token: as,
      });
      if (!open) throw new Error(`realtime refused: ${res.status} ${await res.text()}`);
      return open;
    };
    const soloSocket = await socket(solo, token);
    const sharedSocket = await socket(shared.id, token);
    const bystander = await socket(shared.id, other.token);

    const res = await deleteMe(token, { confirm: user.email.toUpperCase(), password: user.password });
    expect(res.status).toBe(200);
    const deleted = await json<Deleted>(res);
    expect(deleted.report.workspacesDeleted.map((w) => w.id)).toEqual([solo]);
    expect(deleted.report.workspacesLeft).toEqual([shared.id]);
    // Every socket of the user is closed (the workspace's hub forgot it; the sessions are gone);
    // the other owner's stays open.
    expect((await soloSocket.closed).code).toBeGreaterThanOrEqual(1000);
    expect((await sharedSocket.closed).code).toBeGreaterThanOrEqual(1000);
    const stillOpen = await Promise.race([
      bystander.closed.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 100)),
    ]);
    expect(stillOpen).toBe(true);
    bystander.ws.close(1000, "done");

    // The solo workspace: database, rows and Gatekeeper state gone.
    expect(await provisionerFor(config).exists(soloRow?.dbName ?? "")).toBe(false);
    expect(await db.select().from(workspaces).where(eq(workspaces.id, solo))).toEqual([]);
    expect((await monthlyUsage(env, `ws:${solo}`)).used).toBe(0);
    // The shared workspace: intact, its other owner still there, this user gone from it.
    const members = await db.select().from(memberships).where(eq(memberships.workspaceId, shared.id));
    expect(members.map((m) => m.userId)).toEqual([other.id]);
    expect((await call("GET", `/v1/workspaces/${shared.id}/tables`, { token: other.token })).status).toBe(
      200,
    );
    // The account: no sign-in, no token, nothing personal left in its row.
    expect((await call("GET", "/v1/auth/session", { token })).status).toBe(401);
    await expect(loginUser(user.email, user.password)).rejects.toThrow(/login: 401/);
    const [tombstone] = await db.select().from(users).where(eq(users.id, user.id));
    expect(tombstone?.email).not.toContain(user.email);
    expect(tombstone?.passwordHash).toBeNull();
    expect(tombstone?.deletedAt).not.toBeNull();

    // The certificate: jose against the published keys; the verify endpoint agrees.
    const { payload, protectedHeader } = await jwtVerify(
      deleted.certificate,
      createLocalJWKSet(await jwks()),
      {
        issuer: config.PUBLIC_URL,
        typ: CERTIFICATE_TYPE,
      },
    );
    expect(protectedHeader.alg).toBe("EdDSA");
    expect(payload.sub).toBe(user.id);
    expect(payload).toMatchObject({ deletion: { workspacesDeleted: [{ id: solo }] } });
    expect(JSON.stringify(payload)).not.toContain(user.email);
    const verified = await call("POST", "/v1/certificates/verify", {
      body: { certificate: deleted.certificate },
    });
    expect(await json(verified)).toMatchObject({ valid: true, claims: { sub: user.id } });
    // …and it was emailed.
    expect(
      (await outbox(user.email)).some(
        (m) => m.tag === "account_deleted" && m.text.includes(deleted.certificate),
      ),
    ).toBe(true);
  });

  it("refuses a certificate that was altered or signed by another key", async () => {
    const user = await makeUser();
    await makeWorkspace(user);
    const res = await deleteMe(user.token, { confirm: user.email });
    expect(res.status).toBe(200);
    const { certificate } = await json<Deleted>(res);
    const [header, body, signature] = certificate.split(".");
    const claims = JSON.parse(atob((body ?? "").replace(/-/g, "+").replace(/_/g, "/"))) as Record<
      string,
      unknown
    >;
    const forgedBody = btoa(JSON.stringify({ ...claims, sub: "usr_someoneelse000000000000000" }))
      .replace(/=+$/, "")
      .replace(/\+/g, "-")
      .replace(/\//g, "_");
    const altered = `${header}.${forgedBody}.${signature}`;
    const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const kid = JSON.parse(atob((header ?? "").replace(/-/g, "+").replace(/_/g, "/"))).kid as string;
    const foreign = await new SignJWT(claims)
      .setProtectedHeader({ alg: "EdDSA", typ: CERTIFICATE_TYPE, kid })
      .sign(privateKey);
    const set = createLocalJWKSet(await jwks());
    for (const bad of [altered, foreign]) {
      await expect(jwtVerify(bad, set)).rejects.toThrow();
      const verdict = await json(
        await call("POST", "/v1/certificates/verify", { body: { certificate: bad } }),
      );
      expect(verdict).toMatchObject({ valid: false });
    }
    expect((await exportJWK(publicKey)).x).toBeDefined();
    expect(
      await json(await call("POST", "/v1/certificates/verify", { body: { certificate: "x.y.z" } })),
    ).toMatchObject({
      valid: false,
    });
  });

  it("is finished by the scheduled job after stopping past its first database", async () => {
    const config = testConfig();
    const db = controlDb(config);
    const user = await makeUser();
    const first = await makeWorkspace(user);
    const second = await makeWorkspace(user);
    // What deleteAccount does before its steps, then the first step alone: the account is
    // marked deleted, its first workspace is destroyed, and then the Worker "dies".
    const now = Date.now();
    await db.update(users).set({ deletedAt: now }).where(eq(users.id, user.id));
    await revokeSessions(testContext(user.actor), user.id, { all: true });
    await db.insert(accountDeletions).values({
      userId: user.id,
      email: user.email,
      requestedAt: now,
      report: JSON.stringify({
        workspacesDeleted: [{ id: first.id, slug: first.slug }],
        workspacesLeft: [],
        keysRevoked: 0,
        sessionsRevoked: 0,
        identitiesRemoved: 0,
      }),
    });
    await destroyWorkspace(testContext(user.actor), first, { reason: "account deleted" });
    // Half-deleted: not visible as active, no way in.
    expect((await call("GET", "/v1/workspaces", { token: user.token })).status).toBe(401);

    const ctx = createExecutionContext();
    await worker.scheduled?.(
      createScheduledController({ scheduledTime: Date.now(), cron: "17 3 * * *" }),
      env,
      ctx,
    );
    await waitOnExecutionContext(ctx);

    const [row] = await db.select().from(accountDeletions).where(eq(accountDeletions.userId, user.id));
    expect(row?.completedAt).not.toBeNull();
    expect(row?.email).toBe("");
    const report = JSON.parse(row?.report ?? "{}") as Deleted["report"];
    expect(report.workspacesDeleted.map((w) => w.id).sort()).toEqual([first.id, second.id].sort());
    expect(await db.select().from(workspaces).where(eq(workspaces.id, second.id))).toEqual([]);
    expect(await provisionerFor(config).exists(second.dbName)).toBe(false);
    expect((await outbox(user.email)).some((m) => m.tag === "account_deleted")).toBe(true);
  });
});
