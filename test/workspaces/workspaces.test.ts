import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { controlDb } from "../../src/db/control/client";
import { memberships, securityLog, workspaces } from "../../src/db/control/schema";
import { provisionerFor } from "../../src/provision";
import { callWith, makeOperator } from "../audit/operator-helpers";
import { call, errorCode, json, makeUser, testConfig } from "../helpers";
import { addMember, auditActions, makeTeam, mintKey, testIp } from "./fixtures";

interface WorkspaceBody {
  workspace: { id: string; slug: string; name: string; region: string; plan: string; role: string | null };
}

const create = (token: string, body: unknown, headers: Record<string, string> = {}) =>
  call("POST", "/v1/workspaces", { token, body, headers });

async function roleOf(workspaceId: string, userId: string) {
  const rows = await controlDb(testConfig())
    .select()
    .from(memberships)
    .where(eq(memberships.workspaceId, workspaceId));
  return rows.find((r) => r.userId === userId)?.role ?? null;
}

describe("creating and listing workspaces", () => {
  it("provisions a database in the chosen region, makes the caller owner, and audits it", async () => {
    const user = await makeUser();
    const res = await create(user.token, { name: "Acme", region: "ap-south" });
    expect(res.status).toBe(201);
    const { workspace } = await json<WorkspaceBody>(res);
    expect(workspace).toMatchObject({ name: "Acme", region: "ap-south", plan: "free", role: "owner" });
    expect(workspace.slug).toMatch(/^acme-[0-9a-z]{6}$/);
    const [row] = await controlDb(testConfig())
      .select()
      .from(workspaces)
      .where(eq(workspaces.id, workspace.id));
    expect(row?.status).toBe("active");
    expect(await provisionerFor(testConfig()).exists(row?.dbName ?? "")).toBe(true);
    expect(JSON.stringify(workspace)).not.toMatch(/dbUrl|dbToken|db_token/);
    expect((await auditActions(row as NonNullable<typeof row>)).map((e) => e.action)).toContain(
      "workspace.create",
    );

    const list = await json<{ workspaces: { id: string; role: string }[] }>(
      await call("GET", "/v1/workspaces", { token: user.token }),
    );
    expect(list.workspaces).toEqual([expect.objectContaining({ id: workspace.id, role: "owner" })]);
  });

  it("answers the same Idempotency-Key with the same workspace, once", async () => {
    const user = await makeUser();
    const headers = { "Idempotency-Key": `create-${crypto.randomUUID()}` };
    const first = await create(user.token, { name: "Once", region: "eu-west" }, headers);
    const second = await create(user.token, { name: "Once", region: "eu-west" }, headers);
    expect([first.status, second.status]).toEqual([201, 200]);
    expect(second.headers.get("Idempotent-Replayed")).toBe("true");
    const [a, b] = [await json<WorkspaceBody>(first), await json<WorkspaceBody>(second)];
    expect(b.workspace.id).toBe(a.workspace.id);

    const mismatch = await create(user.token, { name: "Other", region: "eu-west" }, headers);
    expect(mismatch.status).toBe(422);
    expect(await errorCode(mismatch)).toBe("idempotency_mismatch");

    // Another user's identical key is a different request, never a replay of someone else's workspace.
    const stranger = await makeUser();
    const theirs = await create(stranger.token, { name: "Once", region: "eu-west" }, headers);
    expect(theirs.status).toBe(201);
    expect((await json<WorkspaceBody>(theirs)).workspace.id).not.toBe(a.workspace.id);
  });

  it.each([
    ["unknown region", { name: "x", region: "mars-1" }],
    ["empty name", { name: "  ", region: "eu-west" }],
    ["bad slug", { name: "x", region: "eu-west", slug: "Not A Slug" }],
    ["unknown field", { name: "x", region: "eu-west", plan: "enterprise" }],
  ])("refuses %s with 400 invalid_request", async (_what, body) => {
    const res = await create((await makeUser()).token, body);
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe("invalid_request");
  });

  it("refuses a taken slug with 409 and API keys with 403", async () => {
    const team = await makeTeam();
    const taken = await create(team.member.token, {
      name: "x",
      region: "eu-west",
      slug: team.workspace.slug,
    });
    expect(taken.status).toBe(409);
    const key = await mintKey(team.owner.token, team.workspace.id, { scopes: ["data:read", "keys:manage"] });
    const byKey = await create(key.token, { name: "x", region: "eu-west" });
    expect(byKey.status).toBe(403);
    expect(await errorCode(byKey)).toBe("forbidden");
  });

  it("lists only the key's own workspace to an API key", async () => {
    const team = await makeTeam();
    const key = await mintKey(team.owner.token, team.workspace.id);
    const list = await json<{ workspaces: { id: string }[] }>(
      await call("GET", "/v1/workspaces", { token: key.token }),
    );
    expect(list.workspaces.map((w) => w.id)).toEqual([team.workspace.id]);
  });
});

describe("renaming and plans", () => {
  it("lets an admin rename, audited; a member cannot", async () => {
    const team = await makeTeam();
    const path = `/v1/workspaces/${team.workspace.id}`;
    const denied = await call("PATCH", path, { token: team.member.token, body: { name: "Nope" } });
    expect(denied.status).toBe(403);
    const res = await call("PATCH", path, { token: team.admin.token, body: { name: "Renamed" } });
    expect(res.status).toBe(200);
    expect((await json<WorkspaceBody>(res)).workspace.name).toBe("Renamed");
    expect((await auditActions(team.workspace)).map((e) => e.action)).toContain("workspace.rename");
  });

  it("lets nobody in the workspace change its plan: only an operator does, audited in both logs", async () => {
    const team = await makeTeam();
    const path = `/v1/workspaces/${team.workspace.id}/plan`;
    const key = await mintKey(team.owner.token, team.workspace.id, { scopes: ["keys:manage", "data:read"] });
    for (const token of [team.owner.token, team.admin.token, key.token]) {
      const res = await call("PATCH", path, { token, body: { plan: "enterprise" } });
      expect(res.status).toBe(404);
    }
    const operator = await makeOperator();
    const operatorPath = `/v1/operator/workspaces/${team.workspace.id}/plan`;
    const noReason = await callWith(operator.vars, "PUT", operatorPath, {
      authorization: `Operator ${operator.token}`,
      body: { plan: "pro" },
    });
    expect(noReason.status).toBe(400);
    const res = await callWith(operator.vars, "PUT", operatorPath, {
      authorization: `Operator ${operator.token}`,
      body: { plan: "pro", reason: "Ticket 88: upgraded by billing" },
    });
    expect((await json<WorkspaceBody>(res)).workspace.plan).toBe("pro");
    expect((await auditActions(team.workspace)).map((e) => e.action)).toContain("workspace.plan_change");
    const bearer = await call("PUT", operatorPath, {
      token: team.owner.token,
      body: { plan: "enterprise", reason: "owner tries it themselves" },
    });
    expect(bearer.status).toBe(401);
  });
});

describe("transferring ownership", () => {
  it("hands ownership to an admin; the old owner becomes admin", async () => {
    const team = await makeTeam();
    const path = `/v1/workspaces/${team.workspace.id}/transfer`;
    const res = await call("POST", path, { token: team.owner.token, body: { userId: team.admin.id } });
    expect(res.status).toBe(200);
    expect(await roleOf(team.workspace.id, team.admin.id)).toBe("owner");
    expect(await roleOf(team.workspace.id, team.owner.id)).toBe("admin");
    expect((await auditActions(team.workspace)).map((e) => e.action)).toContain("workspace.transfer");
  });

  it("refuses a non-admin target, an admin transferring, and a non-member target", async () => {
    const team = await makeTeam();
    const path = `/v1/workspaces/${team.workspace.id}/transfer`;
    const toMember = await call("POST", path, { token: team.owner.token, body: { userId: team.member.id } });
    expect([toMember.status, await errorCode(toMember)]).toEqual([409, "conflict"]);
    const byAdmin = await call("POST", path, { token: team.admin.token, body: { userId: team.admin.id } });
    expect([byAdmin.status, await errorCode(byAdmin)]).toEqual([403, "forbidden"]);
    const outsider = await makeUser();
    const toOutsider = await call("POST", path, { token: team.owner.token, body: { userId: outsider.id } });
    expect(toOutsider.status).toBe(404);
    expect(await roleOf(team.workspace.id, team.owner.id)).toBe("owner");
  });
});

describe("deleting a workspace", () => {
  it("needs the owner and a confirmation naming the slug", async () => {
    const team = await makeTeam();
    const path = `/v1/workspaces/${team.workspace.id}`;
    const missing = await call("DELETE", path, { token: team.owner.token });
    expect([missing.status, await errorCode(missing)]).toEqual([409, "confirmation_required"]);
    const wrong = await call("DELETE", path, {
      token: team.owner.token,
      body: { confirm: "something-else" },
    });
    expect([wrong.status, await errorCode(wrong)]).toEqual([409, "confirmation_required"]);
    const admin = await call("DELETE", path, {
      token: team.admin.token,
      body: { confirm: team.workspace.slug },
    });
    expect([admin.status, await errorCode(admin)]).toEqual([403, "forbidden"]);
    const get = await call("GET", path, { token: team.owner.token });
    expect(get.status).toBe(200);
  });

  it("destroys the database, the control rows and the keys, and logs it to the platform log", async () => {
    const team = await makeTeam();
    const key = await mintKey(team.owner.token, team.workspace.id);
    const path = `/v1/workspaces/${team.workspace.id}`;
    const res = await call("DELETE", `${path}?confirm=${team.workspace.slug}`, { token: team.owner.token });
    expect(res.status).toBe(204);
    const config = testConfig();
    expect(await provisionerFor(config).exists(team.workspace.dbName)).toBe(false);
    const gone = await call("GET", path, { token: team.owner.token });
    expect(gone.status).toBe(404);
    const byKey = await call("GET", path, { token: key.token });
    expect([byKey.status, await errorCode(byKey)]).toEqual([401, "invalid_token"]);
    expect(await roleOf(team.workspace.id, team.member.id)).toBeNull();
    const log = await controlDb(config)
      .select()
      .from(securityLog)
      .where(eq(securityLog.action, "workspace.delete"));
    const entry = log.find((e) => e.details.includes(team.workspace.id));
    expect(entry).toMatchObject({ actorType: "user", actorId: team.owner.id });
    // Kept while the account it concerns exists (retention runs from account deletion, 0004_audit.sql).
    expect(entry?.purgeAfter).toBeNull();
  });

  it("keeps a co-owner's workspace for the other owners when one leaves", async () => {
    const team = await makeTeam();
    const coOwner = await addMember(team.workspace, "owner");
    const res = await call("POST", `/v1/workspaces/${team.workspace.id}/members/leave`, {
      token: team.owner.token,
    });
    expect(res.status).toBe(204);
    expect(await roleOf(team.workspace.id, coOwner.id)).toBe("owner");
  });
});

describe("routes outside a workspace", () => {
  it.each([
    ["GET", "/v1/workspaces", undefined],
    ["POST", "/v1/workspaces", { name: "x", region: "eu-west" }],
    ["POST", "/v1/invitations/accept", { token: "ab".repeat(32) }],
  ] as const)("%s %s without a credential → 401 unauthorized", async (method, path, body) => {
    const res = await call(method, path, { body, headers: { "CF-Connecting-IP": testIp() } });
    expect([res.status, await errorCode(res)]).toEqual([401, "unauthorized"]);
  });

  it("an API key cannot accept invitations → 403 forbidden", async () => {
    const team = await makeTeam();
    const key = await mintKey(team.owner.token, team.workspace.id);
    const res = await call("POST", "/v1/invitations/accept", {
      token: key.token,
      body: { token: "ab".repeat(32) },
    });
    expect([res.status, await errorCode(res)]).toEqual([403, "forbidden"]);
  });
});
