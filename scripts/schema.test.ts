// The drizzle schemas and the SQL migrations cannot drift: a database built from
// migrations/**.sql (by the real migrator) is compared with src/db/control/schema and
// src/db/tenant/schema table by table, column by column.
import { createClient } from "@libsql/client";
import { getTableConfig, type SQLiteTable } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import * as control from "../src/db/control/schema";
import { migrationsLedger } from "../src/db/ledger";
import { loadMigrations } from "../src/db/migration-files";
import { applyMigrations } from "../src/db/migrator";
import * as tenant from "../src/db/tenant/schema";

interface Column {
  name: string;
  type: string;
  notNull: boolean;
  primaryKey: boolean;
  hasDefault: boolean;
}

const tablesOf = (module: Record<string, unknown>) =>
  Object.values(module).filter(
    (v): v is SQLiteTable => typeof v === "object" && v !== null && Symbol.for("drizzle:Name") in v,
  );

function drizzleColumns(table: SQLiteTable): Column[] {
  const config = getTableConfig(table);
  const compositeKey = new Set(config.primaryKeys.flatMap((pk) => pk.columns.map((c) => c.name)));
  return config.columns
    .map((c) => ({
      name: c.name,
      type: c.getSQLType().toUpperCase(),
      notNull: c.notNull || c.primary,
      primaryKey: c.primary || compositeKey.has(c.name),
      hasDefault: c.hasDefault && c.default !== undefined,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

async function migratedColumns(kind: "control" | "tenant") {
  const db = createClient({ url: ":memory:" });
  await applyMigrations(db, loadMigrations(kind));
  const names = await db.execute(
    "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
  );
  const tables = new Map<string, Column[]>();
  for (const row of names.rows) {
    const name = String(row.name);
    const info = await db.execute(`SELECT * FROM pragma_table_info('${name.replace(/'/g, "''")}')`);
    tables.set(
      name,
      info.rows
        .map((c) => ({
          name: String(c.name),
          type: String(c.type).toUpperCase(),
          // Drizzle calls every primary key NOT NULL. SQLite lets a non-INTEGER key hold NULL unless
          // declared otherwise; islet never inserts one (ids are always generated).
          notNull: Number(c.notnull) === 1 || Number(c.pk) > 0,
          primaryKey: Number(c.pk) > 0,
          hasDefault: c.dflt_value !== null,
        }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    );
  }
  db.close();
  return tables;
}

describe.each([
  ["control", tablesOf(control)],
  ["tenant", tablesOf(tenant)],
] as const)("the %s schema", (kind, declared) => {
  it("declares exactly the tables its migrations create", async () => {
    const migrated = await migratedColumns(kind);
    const names = [...declared, migrationsLedger].map((t) => getTableConfig(t).name);
    expect([...new Set(names)].sort()).toEqual([...migrated.keys()].sort());
  });

  it("matches every migrated column: name, type, NOT NULL, primary key, default", async () => {
    const migrated = await migratedColumns(kind);
    for (const table of [...declared, migrationsLedger]) {
      const name = getTableConfig(table).name;
      expect(drizzleColumns(table), name).toEqual(migrated.get(name));
    }
  });
});
