// Issue 13 item 2: admin SQL is guarded by a real tokenizer (the one devdb uses), refuses by name
// every write to SQLite's and islet's own objects, and never relies on the database to refuse.
// Issue 28 item 7: a runaway statement ends at admin SQL's time budget and stalls nobody else.
import { describe, expect, it } from "vitest";
import { loginUser, signupUser } from "../auth/helpers";
import { call, errorCode, json, makeUser, makeWorkspace } from "../helpers";

async function setup() {
  const owner = await makeUser();
  const workspace = await makeWorkspace(owner);
  const base = `/v1/workspaces/${workspace.id}`;
  const sql = (statement: string, write = true) =>
    call("POST", `${base}/sql`, { token: owner.token, body: { sql: statement, write } });
  return { owner, base, sql };
}

/** An audited write through the tables API: it must keep working whatever was refused before. */
async function auditedWriteWorks(owner: { token: string }, base: string, name: string) {
  const res = await call("POST", `${base}/tables`, {
    token: owner.token,
    body: { name, columns: [{ name: "a", type: "text" }] },
  });
  expect(res.status).toBe(201);
}

describe("admin SQL guard", () => {
  it("refuses the sqlite_sequence write that bricks every audited write", async () => {
    const { owner, base, sql } = await setup();
    const brick = await sql(
      "UPDATE sqlite_sequence SET seq = 9223372036854775806 WHERE name LIKE '%audit_log'",
    );
    expect([brick.status, await errorCode(brick)]).toEqual([403, "forbidden"]);
    await auditedWriteWorks(owner, base, "after_brick");
  });

  it.each([
    // The double-quoted "--" hid the rest from the old comment stripper.
    ['UPDATE "--" SET a = 1; UPDATE sqlite_sequence SET seq = 9223372036854775806'],
    ['UPDATE "sqlite_sequence" SET seq = 1'],
    ["UPDATE [sqlite_sequence] SET seq = 1"],
    ["UPDATE main.`sqlite_sequence` SET seq = 1"],
    ["DELETE FROM SQLITE_SEQUENCE"],
    ["INSERT INTO sqlite_sequence (name, seq) VALUES ('_islet_audit_log', 9223372036854775806)"],
    ["UPDATE sqlite_master SET sql = 'x'"],
    ["UPDATE sqlite_schema SET sql = 'x'"],
    ["SELECT readfile('/etc/passwd')"],
    ["SELECT writefile('/tmp/x', 'y')"],
    ["SELECT * FROM sqlite_dbpage"],
    ["SELECT * FROM 'sqlite_dbpage'"],
    ["SELECT load_extension('x')"],
    ["SELECT fts3_tokenizer('simple')"],
    ["ATTACH DATABASE 'x.db' AS x"],
    ["DETACH DATABASE main"],
    ["PRAGMA writable_schema = 1"],
    ["/* c */ pragma journal_mode"],
    ["VACUUM INTO '/tmp/copy.db'"],
    ["SELECT * FROM _islet_secrets"],
    ['SELECT * FROM "_ISLET_SECRETS"'],
    ["CREATE VIEW v AS SELECT * FROM _islet_audit_log"],
    ["CREATE TRIGGER t AFTER INSERT ON x BEGIN UPDATE sqlite_sequence SET seq = 9223372036854775806; END"],
    ["CREATE TRIGGER t AFTER INSERT ON x BEGIN DELETE FROM _islet_functions; END"],
    ["COMMIT"],
    ["BEGIN"],
    ["SAVEPOINT s"],
    ["SELECT 1; SELECT 2"],
    // A 'string' is a table name wherever SQLite expects one.
    ["UPDATE OR REPLACE 'sqlite_sequence' SET seq = 9223372036854775807 WHERE name = '_islet_audit_log'"],
    ["DROP TRIGGER '_islet_audit_log_no_update'"],
    ["DROP TABLE IF EXISTS '_islet_tables'"],
    ["CREATE TRIGGER t BEFORE INSERT ON '_islet_audit_log' BEGIN SELECT RAISE(ABORT, 'x'); END"],
    ["ALTER TABLE u RENAME TO '_islet_x'"],
    ["SELECT * FROM ('_islet_secrets')"],
    ["SELECT data FROM ('fsdir'('/etc'))"],
    [
      "CREATE TRIGGER n AFTER INSERT ON notes BEGIN UPDATE OR IGNORE '_islet_functions' SET code = NEW.body; END",
    ],
  ])("refuses %s", async (statement) => {
    const { sql } = await setup();
    const res = await sql(statement);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(["forbidden", "invalid_request"]).toContain(await errorCode(res));
  });

  it("still runs ordinary statements, reads of sqlite_master, and triggers on user tables", async () => {
    const { owner, base, sql } = await setup();
    expect((await sql('CREATE TABLE "--" (a INTEGER)')).status).toBe(200);
    expect((await sql("CREATE TABLE log (n INTEGER)")).status).toBe(200);
    expect(
      (await sql('CREATE TRIGGER tr AFTER INSERT ON "--" BEGIN INSERT INTO log VALUES (new.a); END')).status,
    ).toBe(200);
    expect((await sql('INSERT INTO "--" VALUES (5) -- a comment')).status).toBe(200);
    const read = await sql("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'log'", false);
    expect(await json(read)).toMatchObject({ rows: [["log"]] });
    const logged = await sql("SELECT n FROM log", false);
    expect(await json(logged)).toMatchObject({ rows: [[5]] });
    // A write sent as a read is refused by the guard, before the database sees it.
    const unflagged = await sql("INSERT INTO log VALUES (1)", false);
    expect([unflagged.status, await errorCode(unflagged)]).toEqual([403, "forbidden"]);
    await auditedWriteWorks(owner, base, "after_ok");
  });
});

describe("admin SQL budget", () => {
  it("ends a runaway recursive CTE with 422 statement_timeout while everything else answers", async () => {
    const { owner, base, sql } = await setup();
    const other = await setup();
    const account = await signupUser();
    expect((await sql("CREATE TABLE notes (body TEXT)")).status).toBe(200);

    // Would count for hours: only the budget (and devdb's deadline inside SQLite) ends it.
    let settled = false;
    const runaway = sql(
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
      false,
    ).finally(() => {
      settled = true;
    });
    // Meanwhile the same workspace, another workspace and sign-in all answer (with the statement
    // on devdb's event loop, every database round trip waited for it and ended in 503).
    let answeredMeanwhile = 0;
    for (let round = 0; round < 3; round++) {
      expect((await sql("SELECT count(*) FROM notes", false)).status).toBe(200);
      expect((await other.sql("SELECT 1", false)).status).toBe(200);
      await loginUser(account.email, account.password, account.ip);
      if (!settled) answeredMeanwhile++;
    }
    expect(answeredMeanwhile).toBeGreaterThan(0);

    const res = await runaway;
    const body = await json<{ error: { code: string; message: string; details: { budgetMs: number } } }>(res);
    expect([res.status, body.error.code]).toEqual([422, "statement_timeout"]);
    expect(body.error.message).toContain("budget");
    expect(body.error.details.budgetMs).toBeGreaterThan(0);
    await auditedWriteWorks(owner, base, "after_runaway");
  });
});
