// devdb through the real @libsql/client: execute, batches, interactive transactions, migrate,
// value round-trips and SQLite errors.
import type { Client } from "@libsql/client";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { caught, clientFor, createNamespace, startTestDevdb, type TestDevdb } from "./testing.ts";

let devdb: TestDevdb;
let db: Client;
let n = 0;

beforeAll(async () => {
  devdb = await startTestDevdb();
});
afterAll(async () => {
  await devdb.cleanup();
});
// Each test gets its own namespace, so tests never see each other's tables.
beforeEach(async () => {
  const namespace = `t${++n}`;
  await createNamespace(devdb, namespace);
  db = clientFor(devdb.url, { namespace, intMode: "bigint" });
  return () => db.close();
});

describe("execute", () => {
  it("creates, inserts and selects with column names and declared types", async () => {
    await db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT NOT NULL, score REAL)");
    const insert = await db.execute({
      sql: "INSERT INTO notes (title, score) VALUES (?, ?)",
      args: ["hello", 4.5],
    });
    expect(insert.rowsAffected).toBe(1);
    expect(insert.lastInsertRowid).toBe(1n);

    const rs = await db.execute("SELECT id, title, score, score * 2 AS doubled FROM notes");
    expect(rs.columns).toEqual(["id", "title", "score", "doubled"]);
    expect(rs.columnTypes).toEqual(["INTEGER", "TEXT", "REAL", ""]);
    expect(rs.rows.map((r) => ({ ...r }))).toEqual([{ id: 1n, title: "hello", score: 4.5, doubled: 9 }]);
  });

  it("binds named arguments with or without their prefix", async () => {
    const rs = await db.execute({
      sql: "SELECT :a AS a, @b AS b, $c AS c, :a AS again",
      args: { a: 1n, "@b": "two", c: null },
    });
    expect({ ...rs.rows[0] }).toEqual({ a: 1n, b: "two", c: null, again: 1n });
  });

  it("counts affected rows of UPDATE and DELETE, and rows from RETURNING", async () => {
    await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)");
    await db.execute("INSERT INTO t (v) VALUES (1), (2), (3)");
    expect((await db.execute("UPDATE t SET v = v + 10 WHERE v >= 2")).rowsAffected).toBe(2);
    const returning = await db.execute("DELETE FROM t WHERE v > 10 RETURNING id");
    expect(returning.rowsAffected).toBe(2);
    expect(returning.rows.map((r) => r.id)).toEqual([2n, 3n]);
    const insert = await db.execute("INSERT INTO t (id, v) VALUES (9007199254740993, 0) RETURNING v");
    expect(insert.lastInsertRowid).toBe(9007199254740993n);
  });

  it("runs several statements with executeMultiple", async () => {
    await db.executeMultiple("CREATE TABLE m (a); INSERT INTO m VALUES (1); INSERT INTO m VALUES (2);");
    expect((await db.execute("SELECT count(*) AS n FROM m")).rows[0]?.n).toBe(2n);
  });
});

describe("values round-trip", () => {
  it("keeps null, 64-bit integers, floats, unicode text and blobs exact", async () => {
    await db.execute("CREATE TABLE v (id INTEGER PRIMARY KEY, x)");
    const bytes = new Uint8Array(256).map((_, i) => i);
    const values = [
      null,
      0n,
      -1n,
      2n ** 53n + 1n,
      9223372036854775807n,
      -9223372036854775808n,
      1.5,
      -0.25,
      1e300,
      "",
      "héllo wörld — 日本語 🌍🚀",
      new Uint8Array(0),
      bytes,
      new Uint8Array(100_000).fill(7),
    ];
    for (const x of values) await db.execute({ sql: "INSERT INTO v (x) VALUES (?)", args: [x] });
    const rs = await db.execute("SELECT x, typeof(x) AS t FROM v ORDER BY id");
    const back = rs.rows.map((r) => (r.x instanceof ArrayBuffer ? new Uint8Array(r.x) : r.x));
    expect(back).toEqual(values);
    expect(rs.rows.map((r) => r.t)).toEqual([
      "null",
      ...Array(5).fill("integer"),
      ...Array(3).fill("real"),
      ...Array(2).fill("text"),
      ...Array(3).fill("blob"),
    ]);
  });

  it("returns integers as numbers in the client's default mode", async () => {
    const plain = clientFor(devdb.url, { namespace: `t${n}` });
    const rs = await plain.execute("SELECT 42 AS i, 2.5 AS f");
    expect({ ...rs.rows[0] }).toEqual({ i: 42, f: 2.5 });
    plain.close();
  });
});

describe("batch", () => {
  beforeEach(async () => {
    await db.execute("CREATE TABLE acct (id INTEGER PRIMARY KEY, name TEXT UNIQUE, balance INTEGER)");
  });

  it("commits a write batch atomically", async () => {
    const results = await db.batch(
      [
        { sql: "INSERT INTO acct (name, balance) VALUES (?, ?)", args: ["a", 10n] },
        { sql: "INSERT INTO acct (name, balance) VALUES (?, ?)", args: ["b", 20n] },
        "SELECT sum(balance) AS total FROM acct",
      ],
      "write",
    );
    expect(results[2]?.rows[0]?.total).toBe(30n);
  });

  it("rolls back the whole write batch when one statement fails", async () => {
    await db.execute("INSERT INTO acct (name, balance) VALUES ('a', 1)");
    const error = await caught(() =>
      db.batch(
        [
          "INSERT INTO acct (name, balance) VALUES ('b', 2)",
          "INSERT INTO acct (name, balance) VALUES ('a', 3)",
        ],
        "write",
      ),
    );
    expect(error.code).toBe("SQLITE_CONSTRAINT");
    expect(error.message).toContain("UNIQUE constraint failed");
    expect((await db.execute("SELECT name FROM acct")).rows.map((r) => r.name)).toEqual(["a"]);
  });

  it("reads in a read batch and refuses writes there", async () => {
    await db.execute("INSERT INTO acct (name, balance) VALUES ('a', 1)");
    const [rs] = await db.batch(["SELECT count(*) AS n FROM acct"], "read");
    expect(rs?.rows[0]?.n).toBe(1n);
    const error = await caught(() => db.batch(["INSERT INTO acct (name, balance) VALUES ('x', 1)"], "read"));
    expect(error.code).toBe("SQLITE_READONLY");
    expect((await db.execute("SELECT count(*) AS n FROM acct")).rows[0]?.n).toBe(1n);
  });

  it("runs a deferred batch", async () => {
    const results = await db.batch(
      ["INSERT INTO acct (name, balance) VALUES ('d', 5)", "SELECT balance FROM acct WHERE name = 'd'"],
      "deferred",
    );
    expect(results[1]?.rows[0]?.balance).toBe(5n);
  });
});

describe("interactive transactions", () => {
  beforeEach(async () => {
    await db.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT)");
  });

  it("commits work spread over several requests, invisible to others until then", async () => {
    const other = clientFor(devdb.url, { namespace: `t${n}` });
    const tx = await db.transaction("write");
    await tx.execute("INSERT INTO items (label) VALUES ('one')");
    await tx.execute("INSERT INTO items (label) VALUES ('two')");
    expect((await tx.execute("SELECT count(*) AS n FROM items")).rows[0]?.n).toBe(2n);
    expect((await other.execute("SELECT count(*) AS n FROM items")).rows[0]?.n).toBe(0);
    await tx.commit();
    expect((await other.execute("SELECT count(*) AS n FROM items")).rows[0]?.n).toBe(2);
    other.close();
  });

  it("rolls back work spread over several requests", async () => {
    const tx = await db.transaction("write");
    await tx.execute("INSERT INTO items (label) VALUES ('gone')");
    await tx.batch(["INSERT INTO items (label) VALUES ('also gone')", "SELECT 1"]);
    await tx.rollback();
    expect((await db.execute("SELECT count(*) AS n FROM items")).rows[0]?.n).toBe(0n);
  });

  it("keeps the transaction usable after a failed statement", async () => {
    await db.execute("CREATE UNIQUE INDEX items_label ON items (label)");
    const tx = await db.transaction("write");
    await tx.execute("INSERT INTO items (label) VALUES ('x')");
    const error = await caught(() => tx.execute("INSERT INTO items (label) VALUES ('x')"));
    expect(error.code).toBe("SQLITE_CONSTRAINT");
    await tx.execute("INSERT INTO items (label) VALUES ('y')");
    await tx.commit();
    expect((await db.execute("SELECT label FROM items ORDER BY label")).rows.map((r) => r.label)).toEqual([
      "x",
      "y",
    ]);
  });
});

describe("migrate", () => {
  it("applies statements with foreign keys off, then back on", async () => {
    await db.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)");
    await db.migrate([
      "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id))",
      "INSERT INTO child (parent_id) VALUES (42)",
    ]);
    expect((await db.execute("SELECT parent_id FROM child")).rows[0]?.parent_id).toBe(42n);
  });
});

describe("errors", () => {
  it("surfaces constraint violations with sqld's codes", async () => {
    await db.execute(
      "CREATE TABLE c (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, n INTEGER CHECK (n > 0))",
    );
    await db.execute("INSERT INTO c (name, n) VALUES ('a', 1)");
    for (const sql of [
      "INSERT INTO c (name, n) VALUES ('a', 1)",
      "INSERT INTO c (name, n) VALUES (NULL, 1)",
      "INSERT INTO c (name, n) VALUES ('b', 0)",
      "INSERT INTO c (id, name, n) VALUES (1, 'c', 1)",
    ]) {
      expect((await caught(() => db.execute(sql))).code).toBe("SQLITE_CONSTRAINT");
    }
  });

  it("reports syntax errors, bad argument counts and several statements", async () => {
    expect((await caught(() => db.execute("SELEC 1"))).code).toBe("SQLITE_ERROR");
    expect((await caught(() => db.execute("SELECT * FROM missing"))).code).toBe("SQLITE_ERROR");
    expect((await caught(() => db.execute({ sql: "SELECT ?, ?", args: [1n] }))).code).toBe("ARGS_INVALID");
    expect((await caught(() => db.execute({ sql: "SELECT :a", args: { b: 1n } }))).code).toBe("ARGS_INVALID");
    expect((await caught(() => db.execute("SELECT 1; SELECT 2"))).code).toBe("SQL_MANY_STATEMENTS");
    expect((await caught(() => db.execute("  -- nothing"))).code).toBe("SQL_NO_STATEMENT");
    expect((await caught(() => db.execute("SELECT 'unterminated"))).code).toBe("SQL_PARSE_ERROR");
  });

  it("refuses statements that reach outside the namespace's file", async () => {
    for (const sql of [
      `ATTACH DATABASE '${devdb.dir}/default.db' AS other`,
      "SELECT readfile('/etc/hostname')",
      `SELECT "writefile"('${devdb.dir}/x.txt', 'x')`,
      "SELECT * FROM fsdir('/')",
      `VACUUM INTO '${devdb.dir}/copy.db'`,
      "PRAGMA journal_mode = DELETE",
    ]) {
      const error = await caught(() => db.execute(sql));
      expect(error.code, sql).toBe("SQLITE_AUTH");
    }
    expect((await db.execute("PRAGMA journal_mode")).rows[0]?.journal_mode).toBe("wal");
  });
});
