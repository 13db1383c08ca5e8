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

  it("rebuilds a table with enforcement on without cascading into the rows that reference it", async () => {
    // devdb (over the `libsql` package) and Turso enforce foreign keys, as this client does.
    const client = createClient({ url: ":memory:" });
    await client.execute("PRAGMA foreign_keys = ON");
    expect((await client.execute("PRAGMA foreign_keys")).rows[0]?.[0]).toBe(1);
    const control = loadMigrations("control");
    const rebuild = control.findIndex((m) => m.name === "0011_development_plan");
    expect(rebuild).toBeGreaterThan(0);
    await applyMigrations(client, control.slice(0, rebuild));
    await client.batch(
      [
        "INSERT INTO users (id, email, created_at) VALUES ('usr_1', 'a@example.test', 1)",
        `INSERT INTO workspaces (id, slug, name, region, plan, status, db_name, created_by, created_at, updated_at)
         VALUES ('ws_1', 'one', 'One', 'eu-west', 'pro', 'active', 'ws-1', 'usr_1', 1, 2)`,
        "INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES ('ws_1', 'usr_1', 'owner', 1)",
      ],
      "write",
    );
    expect(await applyMigrations(client, control)).toContain("0011_development_plan");
    const members = await client.execute("SELECT workspace_id, role FROM memberships");
    expect(members.rows.map((r) => [r.workspace_id, r.role])).toEqual([["ws_1", "owner"]]);
    const kept = await client.execute("SELECT plan, slug, created_by FROM workspaces");
    expect(kept.rows.map((r) => [r.plan, r.slug, r.created_by])).toEqual([["pro", "one", "usr_1"]]);
    await client.execute("UPDATE workspaces SET plan = 'development' WHERE id = 'ws_1'");
    await expect(
      client.execute("UPDATE workspaces SET plan = 'unlimited' WHERE id = 'ws_1'"),
    ).rejects.toThrow(/CHECK/);
    // The rebuilt table is still the one its children reference, and enforcement is back on.
    expect((await client.execute("PRAGMA foreign_keys")).rows[0]?.[0]).toBe(1);
    await client.execute("DELETE FROM workspaces WHERE id = 'ws_1'");
    expect((await client.execute("SELECT count(*) AS n FROM memberships")).rows[0]?.n).toBe(0);
    expect((await client.execute("PRAGMA foreign_key_check")).rows).toEqual([]);
  });
});
