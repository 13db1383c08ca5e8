// The operator API's lifecycle routes (issue 18): tenants, one workspace, gc, backups, restore and
// deletion status, under `Authorization: Operator <token>` only, each call in the operator trail.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { controlDb } from "../../src/db/control/client";
import { securityLog, workspaces } from "../../src/db/control/schema";
import { tenantDb } from "../../src/db/tenant/client";
import { platformLog } from "../audit/helpers";
import { callWith, makeOperator } from "../audit/operator-helpers";
import { errorCode, json, makeUser, makeWorkspace, testConfig } from "../helpers";

const operator = await makeOperator("oncall-lifecycle");
const as = (method: string, path: string, body?: unknown) =>
  callWith(operator.vars, method, path, { authorization: `Operator ${operator.token}`, body });

describe("operator lifecycle API", () => {
  it("refuses anything but an operator token", async () => {
    const user = await makeUser();
    const res = await callWith(operator.vars, "GET", "/v1/operator/tenants", {
      authorization: `Bearer ${user.token}`,
    });
    expect(res.status).toBe(401);
  });

  it("lists tenants and shows one without its database token", async () => {
    const owner = await makeUser();
    const ws = await makeWorkspace(owner);
    const list = await json<{ tenants: { id: string; dbName: string }[] }>(
      await as("GET", "/v1/operator/tenants"),
    );
    expect(list.tenants.find((t) => t.id === ws.id)?.dbName).toBe(ws.dbName);
    const shown = await as("GET", `/v1/operator/tenants/${ws.id}`);
    expect(shown.status).toBe(200);
    const text = await shown.text();
    expect(text).not.toContain("dbTokenEnc");
    expect(text).not.toContain(String(ws.dbTokenEnc));
    expect(JSON.parse(text)).toMatchObject({ members: [{ userId: owner.id, role: "owner" }], liveKeys: 0 });
    expect(await errorCode(await as("GET", `/v1/operator/tenants/${ws.id.slice(0, -1)}0`))).toBe("not_found");
  });

  it("backs up and restores a workspace, audited in the tenant's log and the operator trail", async () => {
    const owner = await makeUser();
    const ws = await makeWorkspace(owner);
    const db = await tenantDb(testConfig(), ws);
    await db.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)");
    await db.execute("INSERT INTO items (name) VALUES ('kept')");
    const taken = await as("POST", `/v1/operator/tenants/${ws.id}/backups`);
    expect(taken.status).toBe(201);
    const { backup } = await json<{ backup: { id: string } }>(taken);
    await db.execute("DELETE FROM items");

    expect(
      await errorCode(await as("POST", `/v1/operator/tenants/${ws.id}/restore`, { backupId: backup.id })),
    ).toBe("invalid_request");
    const restored = await as("POST", `/v1/operator/tenants/${ws.id}/restore`, {
      backupId: backup.id,
      reason: "Ticket 88: rows deleted by mistake",
    });
    expect(restored.status).toBe(200);
    const [row] = await controlDb(testConfig()).select().from(workspaces).where(eq(workspaces.id, ws.id));
    const now = await tenantDb(testConfig(), row as typeof ws);
    expect((await now.execute("SELECT name FROM items")).rows.map((r) => r.name)).toEqual(["kept"]);
    const audit = await now.execute(
      "SELECT action, actor_type FROM _islet_audit_log ORDER BY seq DESC LIMIT 1",
    );
    expect(audit.rows[0]).toMatchObject({ action: "workspace.restore", actor_type: "operator" });

    const trail = await controlDb(testConfig())
      .select()
      .from(securityLog)
      .where(eq(securityLog.action, "operator.request"));
    expect(trail.map((r) => JSON.parse(r.details ?? "{}").path)).toContain(
      `/v1/operator/tenants/${ws.id}/restore`,
    );

    const listed = await json<{ backups: { reason: string }[] }>(
      await as("GET", `/v1/operator/tenants/${ws.id}/backups`),
    );
    expect(listed.backups.map((b) => b.reason)).toEqual(["pre_restore", "manual"]);
    const missing = await as("POST", `/v1/operator/tenants/${ws.id}/restore`, {
      backupId: `bak_${"0".repeat(26)}`,
      reason: "Ticket 89: no such backup",
    });
    expect(await errorCode(missing)).toBe("not_found");
  });

  it("runs gc as a dry run and reports deletion status", async () => {
    const gc = await as("POST", "/v1/operator/tenants/gc", { dryRun: true });
    expect(gc.status).toBe(200);
    expect(await json(gc)).toMatchObject({ abandoned: expect.any(Array), orphans: expect.any(Array) });
    const user = await makeUser();
    expect(await errorCode(await as("GET", `/v1/operator/deletions/${user.id}`))).toBe("not_found");
    const events = await platformLog({});
    expect(events.some((e) => e.action === "operator.request")).toBe(true);
  });
});
