import { describe, expect, it } from "vitest";
import { tenantDb } from "../../src/db/tenant/client";
import { call, errorCode, json, makeUser, makeWorkspace, testConfig } from "../helpers";
import { addMember, endUserToken, mintKey } from "../workspaces/fixtures";

async function setup() {
  const owner = await makeUser();
  const workspace = await makeWorkspace(owner);
  return { owner, workspace, base: `/v1/workspaces/${workspace.id}` };
}

describe("functions", () => {
  it("runs with args, captured logs and secrets as a frozen env; secrets are write-only", async () => {
    const { owner, workspace, base } = await setup();
    const set = await call("PUT", `${base}/secrets/API_TOKEN`, {
      token: owner.token,
      body: { value: "tok-123456789" },
    });
    expect(await json(set)).toMatchObject({ secret: { name: "API_TOKEN", last4: "6789" } });
    const list = await call("GET", `${base}/secrets`, { token: owner.token });
    expect(JSON.stringify(await json(list))).not.toContain("tok-123456789");
    const db = await tenantDb(testConfig(), workspace);
    const stored = await db.execute("SELECT value_enc FROM _islet_secrets");
    expect(String(stored.rows[0]?.value_enc)).not.toContain("tok-123");

    const code = `function main(args, env) { console.log("called", args.n); return { double: args.n * 2, tokenEnd: env.API_TOKEN.slice(-3) }; }`;
    const created = await call("POST", `${base}/functions`, {
      token: owner.token,
      body: { name: "double", code, timeoutMs: 500, env: ["API_TOKEN"] },
    });
    expect(created.status).toBe(201);
    const res = await call("POST", `${base}/functions/double/invoke`, {
      token: owner.token,
      body: { args: { n: 21 } },
    });
    expect(await json(res)).toMatchObject({ result: { double: 42, tokenEnd: "789" }, logs: ["called 21"] });
    const log = await db.execute("SELECT details FROM _islet_audit_log WHERE action = 'function.invoke'");
    expect(String(log.rows[0]?.details)).not.toContain("tok-123");
  });

  it("refuses code that does not compile, at definition time", async () => {
    const { owner, base } = await setup();
    const res = await call("POST", `${base}/functions`, {
      token: owner.token,
      body: { name: "bad", code: "function main( {" },
    });
    expect([res.status, await errorCode(res)]).toEqual([400, "invalid_request"]);
  });

  it("answers a runaway function with 422 sandbox_error and keeps serving", async () => {
    const { owner, base } = await setup();
    await call("POST", `${base}/functions`, {
      token: owner.token,
      body: { name: "spin", code: "function main() { while (true) {} }", timeoutMs: 50 },
    });
    const res = await call("POST", `${base}/functions/spin/invoke`, { token: owner.token, body: {} });
    expect(res.status).toBe(422);
    expect(await json(res)).toMatchObject({ error: { code: "sandbox_error", details: { kind: "timeout" } } });
    expect((await call("GET", `${base}/functions`, { token: owner.token })).status).toBe(200);
  });

  it("cannot see another workspace's secrets or data", async () => {
    const a = await setup();
    const b = await setup();
    await call("PUT", `${a.base}/secrets/KEY`, {
      token: a.owner.token,
      body: { value: "tenant-a-secret" },
    });
    await call("POST", `${b.base}/functions`, {
      token: b.owner.token,
      body: {
        name: "peek",
        code: "function main(args, env) { return [env.KEY ?? null, typeof fetch]; }",
        env: ["KEY"],
      },
    });
    const res = await call("POST", `${b.base}/functions/peek/invoke`, { token: b.owner.token, body: {} });
    expect(await json(res)).toMatchObject({ result: [null, "undefined"] });
  });

  it("lets only admins set secrets", async () => {
    const { workspace, base } = await setup();
    const member = await addMember(workspace, "member");
    const res = await call("PUT", `${base}/secrets/X`, {
      token: member.token,
      body: { value: "v" },
    });
    expect([res.status, await errorCode(res)]).toEqual([403, "forbidden"]);
  });
});

describe("admin SQL", () => {
  it("is read-only unless write is set, and audited", async () => {
    const { owner, workspace, base } = await setup();
    const sql = (body: Record<string, unknown>) => call("POST", `${base}/sql`, { token: owner.token, body });
    const create = await sql({ sql: "CREATE TABLE t (a INTEGER)" });
    expect([create.status, await errorCode(create)]).toEqual([403, "forbidden"]);
    expect((await sql({ sql: "CREATE TABLE t (a INTEGER)", write: true })).status).toBe(200);
    expect((await sql({ sql: "INSERT INTO t VALUES (?)", args: [7], write: true })).status).toBe(200);
    const read = await sql({ sql: "SELECT a FROM t" });
    expect(await json(read)).toMatchObject({ columns: ["a"], rows: [[7]] });
    const sneaky = await sql({ sql: "WITH x AS (SELECT 1) DELETE FROM t" });
    expect(sneaky.status).toBe(403);
    const db = await tenantDb(testConfig(), workspace);
    const events = await db.execute(
      "SELECT count(*) AS n FROM _islet_audit_log WHERE action = 'sql.execute'",
    );
    expect(Number(events.rows[0]?.n)).toBe(3);
  });

  it.each([
    ["UPDATE _islet_audit_log SET action = 'x'"],
    ['DELETE FROM "_ISLET_AUDIT_LOG"'],
    ["SELECT * FROM _islet_secrets"],
    ["ATTACH DATABASE 'x.db' AS x"],
    ["PRAGMA writable_schema = 1"],
    ["SELECT 1; DROP TABLE t"],
  ])("refuses %s", async (statement) => {
    const { owner, base } = await setup();
    const res = await call("POST", `${base}/sql`, {
      token: owner.token,
      body: { sql: statement, write: true },
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it("is for admin users only", async () => {
    const { workspace, base } = await setup();
    const member = await addMember(workspace, "member");
    const res = await call("POST", `${base}/sql`, { token: member.token, body: { sql: "SELECT 1" } });
    expect([res.status, await errorCode(res)]).toEqual([403, "forbidden"]);
  });
});

describe("function source", () => {
  it("goes to those who may write functions; readers, narrow keys and end users see names only", async () => {
    const { owner, workspace, base } = await setup();
    const code = "function main() { return 'the payroll table holds the salaries'; }";
    expect(
      (await call("POST", `${base}/functions`, { token: owner.token, body: { name: "pay", code } })).status,
    ).toBe(201);
    const viewer = await addMember(workspace, "viewer");
    const reader = await mintKey(owner.token, workspace.id, { scopes: ["data:read"], tables: ["public"] });
    const writer = await mintKey(owner.token, workspace.id, { scopes: ["data:read", "functions:write"] });
    const issuer = { secret: `fn-${crypto.randomUUID()}`, issuer: "https://auth.fn.test", audience: "app" };
    await call("POST", `${base}/issuers`, {
      token: owner.token,
      body: { name: "app", kind: "hs256", ...issuer },
    });
    const endUser = await endUserToken({ ...issuer, claims: { role: "member" } });
    const list = async (token: string) =>
      (
        await json<{ functions: { name: string; code?: string }[] }>(
          await call("GET", `${base}/functions`, { token }),
        )
      ).functions;
    for (const token of [viewer.token, reader.token, endUser]) {
      expect(await list(token)).toEqual([expect.not.objectContaining({ code: expect.anything() })]);
      expect((await list(token))[0]?.name).toBe("pay");
    }
    for (const token of [owner.token, writer.token]) expect((await list(token))[0]?.code).toBe(code);
  });
});
