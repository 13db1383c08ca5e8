// Every table the migrations make is claimed by exactly one domain's entry in the inventory
// (src/services/inventory), which says what the exports do with it; and every sealed column sits
// in a table its own domain claims. A migration that adds a table no domain claims fails here, so
// a new domain cannot be left out of the keyring, the scan or the exports without anyone deciding
// so. (That the sealed columns are exactly the `*_enc` columns: scripts/sealed-columns.test.ts.)
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { getTableConfig } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import { migrationsLedger } from "../src/db/ledger";
import { loadMigrations } from "../src/db/migration-files";
import { applyMigrations } from "../src/db/migrator";
import { INVENTORY } from "../src/services/inventory";

type Database = "control" | "tenant";

/** The tables of a database built from every migration, SQLite's own and FTS shadows left out. */
async function migratedTables(database: Database): Promise<string[]> {
  const db = createClient({ url: ":memory:" });
  await applyMigrations(db, loadMigrations(database));
  const { rows } = await db.execute(
    "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
  );
  db.close();
  const tables = rows.map((r) => ({ name: String(r.name), sql: String(r.sql) }));
  // A virtual table (FTS5) keeps its rows in shadow tables named after it: claiming it claims them.
  const virtual = tables.filter((t) => /^CREATE\s+VIRTUAL\s+TABLE/i.test(t.sql)).map((t) => t.name);
  return tables
    .map((t) => t.name)
    .filter((name) => !virtual.some((v) => name.startsWith(`${v}_`)))
    .filter((name) => name !== getTableConfig(migrationsLedger).name); // the migrator's own ledger
}

const claimsOf = (database: Database) =>
  INVENTORY.flatMap((entry) =>
    Object.keys((database === "tenant" ? entry.tenantTables : entry.controlTables) ?? {}).map((table) => ({
      table,
      domain: entry.domain,
    })),
  );

describe.each(["tenant", "control"] as const)("the %s database's tables", (database) => {
  it("are each claimed by one domain, and every claim is a table the migrations make", async () => {
    const tables = await migratedTables(database);
    const claims = claimsOf(database);
    expect(tables.filter((t) => !claims.some((c) => c.table === t))).toEqual([]);
    expect(claims.filter((c) => !tables.includes(c.table))).toEqual([]);
    const twice = claims.filter((c, i) => claims.findIndex((o) => o.table === c.table) !== i);
    expect(twice).toEqual([]);
  });

  it("hold sealed columns only where the domain that declares them owns the table", () => {
    const claims = claimsOf(database);
    const wrong = INVENTORY.flatMap((entry) =>
      (entry.sealed ?? [])
        .filter((c) => c.database === database)
        .filter((c) => !claims.some((claim) => claim.table === c.table && claim.domain === entry.domain))
        .map((c) => `${entry.domain}: ${c.table}.${c.column}`),
    );
    expect(wrong).toEqual([]);
  });
});

it("names each domain once, as its folder under src/services is named", () => {
  const folders = readdirSync(join(import.meta.dirname, "../src/services"), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
  const domains = INVENTORY.map((e) => e.domain);
  expect(domains.filter((d) => !folders.includes(d))).toEqual([]);
  expect(new Set(domains).size).toBe(domains.length);
});
