// One list of sealed columns (src/services/inventory, collected from each domain's entry) that the
// keyring, the scan and the exports read: this test keeps it whole. A database built from every
// migration is searched for columns named `*_enc` (the convention every envelope column follows),
// and the list must name exactly those, with the right id, workspace and nullability. A column
// named like a credential that is neither sealed nor hashed must be explained below, so a plaintext
// secret cannot slip in by a new name.
import { createClient } from "@libsql/client";
import { describe, expect, it } from "vitest";
import { loadMigrations } from "../src/db/migration-files";
import { applyMigrations } from "../src/db/migrator";
import { SECRET_KINDS } from "../src/lib/crypto";
import { SEALED_COLUMNS } from "../src/services/inventory";

interface MigratedColumn {
  table: string;
  column: string;
  notNull: boolean;
  primaryKey: boolean;
}

async function migratedColumns(database: "control" | "tenant"): Promise<MigratedColumn[]> {
  const db = createClient({ url: ":memory:" });
  await applyMigrations(db, loadMigrations(database));
  const { rows } = await db.execute(
    `SELECT m.name AS tbl, p.name AS col, p."notnull" AS nn, p.pk AS pk
     FROM sqlite_schema m JOIN pragma_table_info(m.name) p
     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`,
  );
  db.close();
  return rows.map((r) => ({
    table: String(r.tbl),
    column: String(r.col),
    notNull: Number(r.nn) === 1,
    primaryKey: Number(r.pk) > 0,
  }));
}

/** Names a credential might be stored under. */
const CREDENTIAL_LIKE = /secret|token|passw|credential|auth_header|api_?key|private/i;

/** Credential-like names that hold no credential, and why. */
const NOT_CREDENTIALS: Record<string, string> = {
  "control.users.password_changed_at": "a time",
  "control.workspaces.request_key": "the provisioning request's idempotency key, not a secret",
  "control.socket_tickets.credential_type": "which kind of credential a ticket carries",
  "control.socket_tickets.credential_id": "the credential's id (key id or session id)",
  "control.socket_tickets.credential_issued_at": "a time",
  "tenant._islet_api_accounts.auth_header_name": "the header's name; its value is auth_header_enc",
};

describe.each(["control", "tenant"] as const)("the %s database's sealed columns", (database) => {
  const declared = SEALED_COLUMNS.filter((c) => c.database === database);

  it("are exactly the migrations' `*_enc` columns", async () => {
    const sealed = (await migratedColumns(database))
      .filter((c) => c.column.endsWith("_enc"))
      .map((c) => `${c.table}.${c.column}`);
    expect(declared.map((c) => `${c.table}.${c.column}`).sort()).toEqual(sealed.sort());
  });

  it("name their record and workspace by columns that exist, and say NULL as the schema does", async () => {
    const columns = await migratedColumns(database);
    const find = (table: string, column: string) =>
      columns.find((c) => c.table === table && c.column === column);
    for (const entry of declared) {
      const where = `${entry.table}.${entry.column}`;
      expect(find(entry.table, entry.column)?.notNull, where).toBe(!entry.nullable);
      // The binding's record id identifies one row.
      expect(find(entry.table, entry.idColumn)?.primaryKey, `${where} id`).toBe(true);
      if (entry.database === "control") {
        expect(find(entry.table, entry.workspaceColumn), `${where} workspace`).toBeDefined();
      }
    }
  });

  it("leave no credential-like column unsealed and unexplained", async () => {
    const unexplained = (await migratedColumns(database))
      .filter((c) => CREDENTIAL_LIKE.test(c.column))
      .filter((c) => !c.column.endsWith("_enc") && !c.column.endsWith("hash"))
      .map((c) => `${database}.${c.table}.${c.column}`)
      .filter((name) => !(name in NOT_CREDENTIALS));
    expect(unexplained).toEqual([]);
  });
});

it("every binding kind has a sealed column, and every sealed column a binding kind", () => {
  expect([...new Set(SEALED_COLUMNS.map((c) => c.kind))].sort()).toEqual([...SECRET_KINDS].sort());
});
