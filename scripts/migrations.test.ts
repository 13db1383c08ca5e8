import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { describe, expect, it } from "vitest";
import { loadMigrations } from "../src/db/migration-files";
import { applyMigrations, splitStatements } from "../src/db/migrator";
import { root } from "./local-stack";

describe("migrations", () => {
  it("lists every tenant migration file in migrations/tenant/index.ts", () => {
    const index = readFileSync(join(root, "migrations/tenant/index.ts"), "utf8");
    for (const m of loadMigrations("tenant")) expect(index).toContain(`./${m.name}.sql`);
  });

  it("splits statements, keeping trigger bodies, quotes and comments intact", () => {
    const sql = `-- a comment; with a semicolon
CREATE TABLE t (a TEXT DEFAULT 'x;y', "b;c" INTEGER);
/* block; comment */
CREATE TRIGGER t_no_update BEFORE UPDATE ON t
BEGIN
  SELECT RAISE(ABORT, 'no; updates');
END;
INSERT INTO t (a) VALUES ('it''s; fine');`;
    const statements = splitStatements(sql);
    expect(statements).toHaveLength(3);
    expect(statements[1]).toMatch(/^CREATE TRIGGER[\s\S]*END$/);
    expect(statements[2]).toBe("INSERT INTO t (a) VALUES ('it''s; fine')");
  });

  it("applies each migration atomically, once, and refuses edited ones", async () => {
    const client = createClient({ url: ":memory:" });
    const good = { name: "0001_a", sql: "CREATE TABLE a (x); CREATE TABLE b (y);" };
    expect(await applyMigrations(client, [good])).toEqual(["0001_a"]);
    expect(await applyMigrations(client, [good])).toEqual([]);
    await expect(applyMigrations(client, [{ ...good, sql: `${good.sql} -- edited` }])).rejects.toThrow(
      /edited/,
    );
    const broken = { name: "0002_b", sql: "CREATE TABLE c (z); CREATE TABLE a (x);" };
    await expect(applyMigrations(client, [good, broken])).rejects.toThrow(/0002_b failed/);
    const tables = await client.execute("SELECT name FROM sqlite_master WHERE name = 'c'");
    expect(tables.rows).toHaveLength(0);
  });

  it("applies the real control and tenant migrations to an empty database", async () => {
    for (const kind of ["control", "tenant"] as const) {
      const client = createClient({ url: ":memory:" });
      const applied = await applyMigrations(client, loadMigrations(kind));
      expect(applied.length).toBeGreaterThan(0);
    }
  });
});
