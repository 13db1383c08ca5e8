import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { controlDb } from "../../src/db/control/client";
import { apiKeys } from "../../src/db/control/schema";
import { sha256Hex } from "../../src/lib/crypto";
import { call, errorCode, json, testConfig } from "../helpers";
import { type MintedKey, makeTeam, mintKey, type Team } from "./fixtures";

const keyRow = async (id: string) =>
  (await controlDb(testConfig()).select().from(apiKeys).where(eq(apiKeys.id, id)))[0];
const keysPath = (team: Team) => `/v1/workspaces/${team.workspace.id}/keys`;
const workspacePath = (team: Team) => `/v1/workspaces/${team.workspace.id}`;

let children = 0;
async function mintAs(token: string, team: Team, body: Record<string, unknown>) {
  return call("POST", keysPath(team), { token, body: { name: `child ${++children}`, ...body } });
}

describe("creating keys", () => {
  it("returns isk_<keyId>_<secret> once and stores only the SHA-256 of the secret", async () => {
    const team = await makeTeam();
    const res = await mintAs(team.admin.token, team, {
      scopes: ["data:read"],
      perMinute: 60,
      monthlyCap: 1000,
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const body = await json<{ token: string; key: { id: string; prefix: string; createdBy: string } }>(res);
    const match = /^isk_([0-9a-z]+)_([A-Za-z0-9_-]{43})$/.exec(body.token);
    expect(match?.[1]).toBe(body.key.id);
    expect(body.key.prefix).toBe(`isk_${body.key.id}_…`);
    expect(body.key.createdBy).toBe(team.admin.id);
    const row = await keyRow(body.key.id);
    expect(row?.secretHash).toBe(await sha256Hex(match?.[2] ?? ""));
    expect(JSON.stringify(row)).not.toContain(match?.[2]);

    const list = await call("GET", keysPath(team), { token: team.admin.token });
    const text = await list.text();
    expect(text).not.toContain(match?.[2]);
    expect(text).not.toContain("secretHash");
    expect(JSON.parse(text).keys[0]).toMatchObject({
      id: body.key.id,
      scopes: ["data:read"],
      perMinute: 60,
      status: "active",
    });
    expect((await call("GET", workspacePath(team), { token: body.token })).status, "the new key works").toBe(
      200,
    );
  });

  it("refuses a second live key with the same name (409 key_name_taken), in any case, even in parallel", async () => {
    const team = await makeTeam();
    const first = await mintAs(team.admin.token, team, { name: "backend", scopes: ["data:read"] });
    expect(first.status).toBe(201);
    const { key } = await json<{ key: { id: string } }>(first);
    for (const name of ["backend", "Backend", "  backend  "]) {
      const again = await mintAs(team.owner.token, team, { name, scopes: ["data:read"] });
      expect([again.status, await errorCode(again)], name).toEqual([409, "key_name_taken"]);
    }
    // Nothing was minted by the refusals, and the audit log has one creation.
    const named = (await controlDb(testConfig()).select().from(apiKeys)).filter(
      (k) => k.workspaceId === team.workspace.id && k.name.toLowerCase() === "backend",
    );
    expect(named).toHaveLength(1);
    // Two at once: exactly one wins.
    const racing = await Promise.all(
      [1, 2, 3].map(() => mintAs(team.admin.token, team, { name: "worker", scopes: ["data:read"] })),
    );
    expect(racing.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    // A revoked key's name is free again; a rotated key keeps its name without a conflict.
    const revoke = await call("DELETE", `${keysPath(team)}/${key.id}`, { token: team.admin.token });
    expect(revoke.status).toBeLessThan(300);
    const reused = await mintAs(team.admin.token, team, { name: "backend", scopes: ["data:read"] });
    expect(reused.status).toBe(201);
    const reusedId = (await json<{ key: { id: string } }>(reused)).key.id;
    const rotated = await call("POST", `${keysPath(team)}/${reusedId}/rotate`, {
      token: team.admin.token,
      body: { graceSeconds: 3600 },
    });
    expect(rotated.status).toBe(201);
    expect((await json<{ key: { name: string } }>(rotated)).key.name).toBe("backend");
  });

  it("refuses members managing keys, unknown scopes, past expiries and system tables", async () => {
    const team = await makeTeam();
    const byMember = await mintAs(team.member.token, team, { scopes: ["data:read"] });
    expect([byMember.status, await errorCode(byMember)]).toEqual([403, "forbidden"]);
    const bad = await mintAs(team.admin.token, team, { scopes: ["data:read", "root:all"] });
    expect([bad.status, await errorCode(bad)]).toEqual([400, "invalid_request"]);
    const past = await mintAs(team.admin.token, team, {
      scopes: ["data:read"],
      expiresAt: Date.now() - 1000,
    });
    expect([past.status, await errorCode(past)]).toEqual([400, "invalid_request"]);
    const system = await mintAs(team.admin.token, team, {
      scopes: ["data:read"],
      tables: ["_islet_audit_log"],
    });
    expect([system.status, await errorCode(system)]).toEqual([400, "invalid_request"]);
  });

  it("stops a key the moment its creator is demoted below what it needs", async () => {
    const team = await makeTeam();
    const key = await mintKey(team.admin.token, team.workspace.id, { scopes: ["keys:manage", "data:read"] });
    expect((await call("GET", keysPath(team), { token: key.token })).status).toBe(200);
    const demote = await call("PATCH", `${workspacePath(team)}/members/${team.admin.id}`, {
      token: team.owner.token,
      body: { role: "member" },
    });
    expect(demote.status).toBe(200);
    const after = await call("GET", keysPath(team), { token: key.token });
    expect([after.status, await errorCode(after)]).toEqual([403, "forbidden"]);
  });
});

describe("keys minting keys", () => {
  const parentBody = {
    scopes: ["keys:manage", "data:read", "data:write"],
    tables: ["orders", "customers"],
    perMinute: 100,
    monthlyCap: 10_000,
    expiresAt: Date.now() + 86_400_000,
  };

  it.each([
    ["a scope it lacks", { scopes: ["data:read", "schema:write"] }, 403, "insufficient_scope"],
    ["keys:manage with a wider scope", { scopes: ["audit:read"] }, 403, "insufficient_scope"],
    [
      "a table outside its allowlist",
      { scopes: ["data:read"], tables: ["orders", "payroll"] },
      403,
      "forbidden",
    ],
    ["every table", { scopes: ["data:read"], tables: null }, 403, "forbidden"],
    ["a higher per-minute cap", { scopes: ["data:read"], perMinute: 1000 }, 403, "forbidden"],
    ["no monthly cap", { scopes: ["data:read"], monthlyCap: null }, 403, "forbidden"],
    ["a later expiry", { scopes: ["data:read"], expiresAt: Date.now() + 2 * 86_400_000 }, 403, "forbidden"],
    ["no expiry", { scopes: ["data:read"], expiresAt: null }, 403, "forbidden"],
  ])("refuses a child with %s", async (_what, child, status, code) => {
    const team = await makeTeam();
    const parent = await mintKey(team.owner.token, team.workspace.id, parentBody);
    const res = await mintAs(parent.token, team, child);
    expect([res.status, await errorCode(res)]).toEqual([status, code]);
  });

  it("mints a narrower child that inherits the parent's limits and answers to the same person", async () => {
    const team = await makeTeam();
    const parent = await mintKey(team.owner.token, team.workspace.id, parentBody);
    const res = await mintAs(parent.token, team, { scopes: ["data:read"], tables: ["orders"] });
    expect(res.status).toBe(201);
    const { key } = await json<{ key: Record<string, unknown> }>(res);
    expect(key).toMatchObject({
      scopes: ["data:read"],
      tables: ["orders"],
      perMinute: 100,
      monthlyCap: 10_000,
      expiresAt: parentBody.expiresAt,
      createdBy: team.owner.id,
    });
  });

  it("cannot manage keys without keys:manage, nor revoke a key wider than itself", async () => {
    const team = await makeTeam();
    const plain = await mintKey(team.owner.token, team.workspace.id, { scopes: ["data:read", "data:write"] });
    const denied = await mintAs(plain.token, team, { scopes: ["data:read"] });
    expect([denied.status, await errorCode(denied)]).toEqual([403, "insufficient_scope"]);
    const narrow = await mintKey(team.owner.token, team.workspace.id, { scopes: ["keys:manage"] });
    const wide = await mintKey(team.owner.token, team.workspace.id, { scopes: ["data:read", "audit:read"] });
    const revoke = await call("DELETE", `${keysPath(team)}/${wide.id}`, { token: narrow.token });
    expect([revoke.status, await errorCode(revoke)]).toEqual([403, "insufficient_scope"]);
    expect((await call("GET", workspacePath(team), { token: wide.token })).status).toBe(200);
  });
});

describe("revoking and rotating", () => {
  const use = (key: MintedKey, team: Team) => call("GET", workspacePath(team), { token: key.token });

  it("refuses a revoked key on the very next request, and audits once", async () => {
    const team = await makeTeam();
    const key = await mintKey(team.owner.token, team.workspace.id);
    expect((await use(key, team)).status).toBe(200);
    const res = await call("DELETE", `${keysPath(team)}/${key.id}`, { token: team.admin.token });
    expect(res.status).toBe(200);
    expect((await json<{ key: { status: string } }>(res)).key.status).toBe("revoked");
    const after = await use(key, team);
    expect([after.status, await errorCode(after)]).toEqual([401, "credential_revoked"]);
    const again = await call("DELETE", `${keysPath(team)}/${key.id}`, { token: team.admin.token });
    expect(again.status).toBe(200);
    const { auditActions } = await import("./fixtures");
    const revokes = (await auditActions(team.workspace)).filter((e) => e.action === "key.revoke");
    expect(revokes).toEqual([{ action: "key.revoke", target_id: key.id }]);
  });

  it("rotates with no grace: the old key stops at once, the new one works", async () => {
    const team = await makeTeam();
    const old = await mintKey(team.owner.token, team.workspace.id, { scopes: ["data:read"], perMinute: 50 });
    const res = await call("POST", `${keysPath(team)}/${old.id}/rotate`, {
      token: team.admin.token,
      body: {},
    });
    expect(res.status).toBe(201);
    const fresh = await json<{ token: string; key: { id: string; scopes: string[]; perMinute: number } }>(
      res,
    );
    expect(fresh.key).toMatchObject({ scopes: ["data:read"], perMinute: 50 });
    const refused = await use(old, team);
    expect([refused.status, await errorCode(refused)]).toEqual([401, "credential_revoked"]);
    expect((await use({ id: fresh.key.id, token: fresh.token }, team)).status).toBe(200);
    expect((await keyRow(old.id))?.rotatedTo).toBe(fresh.key.id);
    const twice = await call("POST", `${keysPath(team)}/${old.id}/rotate`, {
      token: team.admin.token,
      body: {},
    });
    expect([twice.status, await errorCode(twice)]).toEqual([409, "conflict"]);
  });

  it("rotates with a grace period: both keys work until it ends, then revoke ends it early", async () => {
    const team = await makeTeam();
    const old = await mintKey(team.owner.token, team.workspace.id);
    const before = Date.now();
    const res = await call("POST", `${keysPath(team)}/${old.id}/rotate`, {
      token: team.admin.token,
      body: { graceSeconds: 3600 },
    });
    const fresh = await json<{ token: string; key: { id: string } }>(res);
    expect((await use(old, team)).status).toBe(200);
    expect((await use({ id: fresh.key.id, token: fresh.token }, team)).status).toBe(200);
    const row = await keyRow(old.id);
    expect(row?.revokedAt).toBeGreaterThanOrEqual(before + 3_600_000);
    const tooLong = await call("POST", `${keysPath(team)}/${fresh.key.id}/rotate`, {
      token: team.admin.token,
      body: { graceSeconds: 86_401 },
    });
    expect(tooLong.status).toBe(400);
    expect((await call("DELETE", `${keysPath(team)}/${old.id}`, { token: team.admin.token })).status).toBe(
      200,
    );
    const refused = await use(old, team);
    expect([refused.status, await errorCode(refused)]).toEqual([401, "credential_revoked"]);
  });

  it("records last use without a write per request", async () => {
    const team = await makeTeam();
    const key = await mintKey(team.owner.token, team.workspace.id);
    expect((await keyRow(key.id))?.lastUsedAt).toBeNull();
    await use(key, team);
    let lastUsed: number | null | undefined = null;
    for (let i = 0; i < 50 && !lastUsed; i++) {
      lastUsed = (await keyRow(key.id))?.lastUsedAt;
      if (!lastUsed) await new Promise((r) => setTimeout(r, 20));
    }
    expect(lastUsed).toBeGreaterThan(0);
    await use(key, team);
    await use(key, team);
    expect((await keyRow(key.id))?.lastUsedAt).toBe(lastUsed);
  });
});
