// The SQL analysis decides who may run a statement and how arguments bind, so it must read SQL
// the way SQLite does.
import { describe, expect, it } from "vitest";
import { analyzeSql } from "./sql-analysis.ts";

const kinds = (sql: string) =>
  analyzeSql(sql).statements.map((s) => (s.denied ? `denied:${s.kind}` : s.kind));

describe("statement classification", () => {
  it("tells reads from writes, including writes behind WITH", () => {
    expect(kinds("SELECT * FROM t")).toEqual(["read"]);
    expect(kinds("VALUES (1), (2)")).toEqual(["read"]);
    expect(kinds("WITH x AS (SELECT 1) SELECT * FROM x")).toEqual(["read"]);
    expect(kinds("WITH x(a) AS (SELECT 1) INSERT INTO t SELECT a FROM x")).toEqual(["write"]);
    expect(kinds("with recursive c(n) as (select 1 union all select n + 1 from c) delete from t")).toEqual([
      "write",
    ]);
    expect(kinds("INSERT INTO t VALUES (1)")).toEqual(["write"]);
    expect(kinds("REPLACE INTO t VALUES (1)")).toEqual(["write"]);
    expect(kinds("update t set a = 1")).toEqual(["write"]);
    expect(kinds("CREATE TABLE t (a)")).toEqual(["write"]);
    expect(kinds("DROP TABLE t")).toEqual(["write"]);
    expect(kinds("EXPLAIN QUERY PLAN DELETE FROM t")).toEqual(["read"]);
  });

  it("knows transaction control and its modes", () => {
    const [begin] = analyzeSql("BEGIN IMMEDIATE").statements;
    expect(begin).toMatchObject({ kind: "txn-begin", beginsWrite: true, beginsReadonly: false });
    expect(analyzeSql("BEGIN TRANSACTION READONLY").statements[0]).toMatchObject({
      beginsReadonly: true,
      beginsWrite: false,
    });
    expect(kinds("COMMIT")).toEqual(["txn-end"]);
    expect(kinds("END TRANSACTION")).toEqual(["txn-end"]);
    expect(kinds("ROLLBACK")).toEqual(["txn-end"]);
    expect(kinds("ROLLBACK TO sp")).toEqual(["savepoint"]);
    expect(kinds("SAVEPOINT sp")).toEqual(["savepoint"]);
  });

  it("allows introspection pragmas, gates settings behind write access and refuses the rest", () => {
    expect(kinds("PRAGMA table_info(t)")).toEqual(["read"]);
    expect(kinds("PRAGMA main.user_version")).toEqual(["read"]);
    expect(kinds("PRAGMA user_version = 3")).toEqual(["write"]);
    expect(kinds("PRAGMA foreign_keys=off")).toEqual(["write"]);
    expect(kinds("PRAGMA journal_mode")).toEqual(["read"]);
    expect(kinds("PRAGMA journal_mode = delete")).toEqual(["denied:write"]);
    expect(kinds("PRAGMA busy_timeout = 100000")).toEqual(["denied:write"]);
    expect(kinds("PRAGMA writable_schema = on")).toEqual(["denied:write"]);
  });

  it("refuses anything that reaches another file, however it is spelled", () => {
    for (const sql of [
      "ATTACH 'other.db' AS o",
      "attach database 'x' as y",
      "DETACH o",
      "VACUUM INTO '/tmp/copy.db'",
      "SELECT readfile('/etc/passwd')",
      "SELECT \"WriteFile\"('x', 1)",
      "SELECT [fsdir].name FROM [fsdir]('/')",
      "SELECT * FROM 'fsdir' WHERE name = '/'",
      "SELECT sha3_query('ATTACH ''x'' AS y')",
      "SELECT load_extension('/tmp/x.so')",
      "CREATE VIEW v AS SELECT readfile('x')",
    ]) {
      expect(analyzeSql(sql).statements[0]?.denied, sql).toBeDefined();
    }
    // The same words as plain data are fine.
    expect(
      analyzeSql("INSERT INTO t VALUES ('readfile is a function')").statements[0]?.denied,
    ).toBeUndefined();
  });

  it("marks INSERT and IUD statements for rowid and change counts", () => {
    expect(analyzeSql("INSERT INTO t VALUES (1) RETURNING id").statements[0]).toMatchObject({
      isInsert: true,
      isIud: true,
    });
    expect(analyzeSql("DELETE FROM t").statements[0]).toMatchObject({ isInsert: false, isIud: true });
    expect(analyzeSql("SELECT 1").statements[0]).toMatchObject({ isInsert: false, isIud: false });
  });
});

describe("statement splitting", () => {
  it("splits at top-level semicolons only", () => {
    expect(kinds("SELECT ';'; INSERT INTO t VALUES (';') -- ;\n; /* ; */ DELETE FROM t;")).toEqual([
      "read",
      "write",
      "write",
    ]);
    expect(kinds(" ;; -- nothing")).toEqual([]);
  });

  it("keeps trigger bodies whole, CASE … END inside them included", () => {
    const sql = `CREATE TRIGGER tr AFTER INSERT ON t BEGIN
        UPDATE u SET a = CASE WHEN new.x THEN 1 ELSE 2 END;
        INSERT INTO log VALUES (new.x);
      END; SELECT 1`;
    expect(kinds(sql)).toEqual(["write", "read"]);
  });
});

describe("parameters", () => {
  it("numbers parameters as sqlite3_bind_parameter_index does", () => {
    const { params } = analyzeSql("SELECT ?, ?3, :a, @b, $c, :a, ?");
    expect(params.count).toBe(7);
    expect(params.names).toEqual([null, null, "?3", ":a", "@b", "$c", null]);
    expect(params.byName.get(":a")).toBe(4);
  });

  it("ignores look-alikes in strings, identifiers and comments", () => {
    const { params } = analyzeSql(`SELECT ':x', "?", [@y], \`$z\` -- :c\n FROM t WHERE a = ? /* ?9 */`);
    expect(params.count).toBe(1);
  });

  it("reads TCL-style names and reports malformed SQL", () => {
    expect(analyzeSql("SELECT $a::b(c), #x").params.names).toEqual(["$a::b(c)", "#x"]);
    expect(analyzeSql("SELECT 'open").syntaxError).toBeDefined();
    expect(analyzeSql("SELECT ?0").syntaxError).toBeDefined();
  });
});
