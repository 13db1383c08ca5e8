// The tenant audit log is append-only and tamper-evident: the chain verifies, an edit made behind
// the API's back is found, the triggers refuse UPDATE and DELETE, and concurrent writers keep one
// linear chain.
import { describe, expect, it } from "vitest";
import { tenantDb } from "../../src/db/tenant/client";
import { commitWithAudit } from "../../src/services/audit";
import { call, errorCode, makeUser, makeWorkspace, testConfig, testContext } from "../helpers";
import { addMember, mintKey } from "../workspaces/fixtures";
import { directTenant, seedAuditRows, tenantLog, verify } from "./helpers";

async function workspaceWithEvents() {
  const owner = await makeUser();
  const workspace = await makeWorkspace(owner);
  for (const name of ["one", "two", "three"]) await mintKey(owner.token, workspace.id, { name });
  return { owner, workspace };
}

describe("GET /audit/verify", () => {
  it("passes on an untouched log and reports the head", async () => {
    const { owner, workspace } = await workspaceWithEvents();
    const log = await tenantLog(workspace);
    const { status, body } = await verify(workspace.id, owner.token);
    expect(status).toBe(200);
    expect(body).toEqual({
      ok: true,
      checked: log.length,
      head: { seq: log.at(-1)?.seq, hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    expect(log.map((e) => e.action)).toEqual(["key.create", "key.create", "key.create"]);
  });

  it("finds a row altered through a direct database connection", async () => {
    const { owner, workspace } = await workspaceWithEvents();
    const target = (await tenantLog(workspace))[2];
    if (!target) throw new Error("no row to alter");
    const attacker = await directTenant(workspace);
    // The trigger refuses the edit, so the attacker drops it first.
    await attacker.execute("DROP TRIGGER _islet_audit_log_no_update");
    await attacker.execute({
      sql: `UPDATE _islet_audit_log SET details = '{"name":"innocent"}' WHERE seq = ?`,
      args: [target.seq],
    });
    attacker.close();
    const { status, body } = await verify(workspace.id, owner.token);
    expect(status).toBe(200);
    expect(body.ok).toBe(false);
    expect(body.checked).toBe(2); // the two rows before it still verify
    expect(body.firstBroken).toEqual({
      seq: target.seq,
      id: expect.stringMatching(/^aud_/),
      reason: "hash_mismatch",
    });
  });

  it("finds a removed row by the broken link of the row after it", async () => {
    const { owner, workspace } = await workspaceWithEvents();
    const log = await tenantLog(workspace);
    const attacker = await directTenant(workspace);
    await attacker.execute("DROP TRIGGER _islet_audit_log_no_delete");
    await attacker.execute({ sql: "DELETE FROM _islet_audit_log WHERE seq = ?", args: [log[1]?.seq ?? 0] });
    attacker.close();
    const { body } = await verify(workspace.id, owner.token);
    expect(body).toMatchObject({
      ok: false,
      checked: 1,
      firstBroken: { seq: log[2]?.seq, reason: "prev_hash_mismatch" },
    });
  });

  it("verifies a chain longer than one page", async () => {
    const owner = await makeUser();
    const workspace = await makeWorkspace(owner);
    const tenant = await directTenant(workspace);
    await seedAuditRows(tenant, 2_345);
    tenant.close();
    const { body } = await verify(workspace.id, owner.token);
    expect(body).toMatchObject({ ok: true, checked: 2_345 });
  });

  it("is for admins and keys holding audit:read", async () => {
    const owner = await makeUser();
    const workspace = await makeWorkspace(owner);
    const member = await addMember(workspace, "member");
    const stranger = await makeUser();
    const reader = await mintKey(owner.token, workspace.id, { scopes: ["audit:read"] });
    const dataKey = await mintKey(owner.token, workspace.id, { scopes: ["data:read"] });
    expect((await verify(workspace.id, reader.token)).status).toBe(200);
    const path = `/v1/workspaces/${workspace.id}/audit/verify`;
    expect(await errorCode(await call("GET", path, { token: member.token }))).toBe("forbidden");
    expect(await errorCode(await call("GET", path, { token: dataKey.token }))).toBe("insufficient_scope");
    expect(await errorCode(await call("GET", path, { token: stranger.token }))).toBe("not_found");
    expect(await errorCode(await call("GET", path))).toBe("unauthorized");
  });
});

describe("append-only triggers", () => {
  it("refuse UPDATE and DELETE even through a direct connection", async () => {
    const { workspace } = await workspaceWithEvents();
    const direct = await directTenant(workspace);
    await expect(direct.execute("UPDATE _islet_audit_log SET action = 'x.y'")).rejects.toThrow(/append-only/);
    await expect(direct.execute("DELETE FROM _islet_audit_log")).rejects.toThrow(/append-only/);
    direct.close();
    expect((await tenantLog(workspace)).map((e) => e.action)).toContain("key.create");
  });
});

describe("commitWithAudit", () => {
  it("keeps one linear chain under 8 concurrent writers, each change with its event", async () => {
    const owner = await makeUser();
    const workspace = await makeWorkspace(owner);
    const setup = await tenantDb(testConfig(), workspace);
    await setup.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, writer INTEGER NOT NULL)");
    const WRITERS = 8;
    const EACH = 5;
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, writer) => {
        // Each caller has its own client, as concurrent requests would.
        const tenant = await tenantDb(testConfig(), workspace);
        for (let i = 0; i < EACH; i++) {
          await commitWithAudit(
            testContext(owner.actor),
            tenant,
            [{ sql: "INSERT INTO notes (writer) VALUES (?)", args: [writer] }],
            [{ action: "note.create", targetType: "note", details: { writer, i } }],
          );
        }
      }),
    );
    const notes = await setup.execute("SELECT COUNT(*) AS n FROM notes");
    expect(Number(notes.rows[0]?.n)).toBe(WRITERS * EACH);
    const log = await tenantLog(workspace);
    expect(log.filter((e) => e.action === "note.create")).toHaveLength(WRITERS * EACH);
    const links = await setup.execute("SELECT prev_hash, hash FROM _islet_audit_log ORDER BY seq");
    for (let i = 1; i < links.rows.length; i++)
      expect(links.rows[i]?.prev_hash).toBe(links.rows[i - 1]?.hash);
    expect((await verify(workspace.id, owner.token)).body).toMatchObject({ ok: true, checked: log.length });
  });

  it("writes nothing when the change fails: the change and its event share one batch", async () => {
    const owner = await makeUser();
    const workspace = await makeWorkspace(owner);
    const tenant = await tenantDb(testConfig(), workspace);
    const before = await tenantLog(workspace);
    await expect(
      commitWithAudit(
        testContext(owner.actor),
        tenant,
        [{ sql: "INSERT INTO missing_table VALUES (1)" }],
        [{ action: "row.create" }],
      ),
    ).rejects.toThrow();
    expect(await tenantLog(workspace)).toEqual(before);
  });

  it("redacts credential-looking details", async () => {
    const owner = await makeUser();
    const workspace = await makeWorkspace(owner);
    const tenant = await tenantDb(testConfig(), workspace);
    await commitWithAudit(
      testContext(owner.actor),
      tenant,
      [],
      [
        {
          action: "secret.create",
          details: { name: "STRIPE", secret: "sk_live_123", apiKey: "isk_x", nested: { token: "t" } },
        },
      ],
    );
    const logged = (await tenantLog(workspace)).at(-1);
    expect(logged?.details).not.toMatch(/sk_live_123|isk_x|"t"/);
    expect(JSON.parse(logged?.details ?? "{}")).toMatchObject({ name: "STRIPE", secret: "[redacted]" });
  });
});
