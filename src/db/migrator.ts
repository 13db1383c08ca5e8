import type { Client } from "@libsql/client/web";
import { sha256Hex } from "../lib/crypto";

export interface Migration {
  name: string;
  sql: string;
}

/**
 * Splits a migration into statements. Handles quotes, comments and `CREATE TRIGGER … END;`
 * bodies (whose inner semicolons do not end the statement). Written by hand because libSQL's
 * batch API takes one statement per entry and no SQL-splitting library targets SQLite triggers.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = "";
  let depth = 0; // BEGIN … END nesting inside triggers
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i] as string;
    const rest = sql.slice(i);
    if (ch === "-" && rest.startsWith("--")) {
      const end = sql.indexOf("\n", i);
      i = end === -1 ? sql.length : end + 1;
      continue;
    }
    if (ch === "/" && rest.startsWith("/*")) {
      const end = sql.indexOf("*/", i + 2);
      i = end === -1 ? sql.length : end + 2;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === "`") {
      let j = i + 1;
      while (j < sql.length && !(sql[j] === ch && sql[j + 1] !== ch)) j += sql[j] === ch ? 2 : 1;
      current += sql.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    const word = /^[A-Za-z_]+/.exec(rest)?.[0];
    if (word) {
      const upper = word.toUpperCase();
      if (upper === "BEGIN" && /\bTRIGGER\b/i.test(current)) depth++;
      if (upper === "END" && depth > 0) depth--;
      current += word;
      i += word.length;
      continue;
    }
    if (ch === ";" && depth === 0) {
      if (current.trim()) statements.push(current.trim());
      current = "";
      i++;
      continue;
    }
    current += ch;
    i++;
  }
  if (current.trim()) statements.push(current.trim());
  return statements;
}

const LEDGER = `CREATE TABLE IF NOT EXISTS _islet_migrations (
  name TEXT PRIMARY KEY,
  checksum TEXT NOT NULL,
  applied_at INTEGER NOT NULL
)`;

/** A migration whose first line is this marker runs with foreign-key enforcement off. */
const FOREIGN_KEYS_OFF = /^-- islet:foreign-keys-off\n/;

export class MigrationError extends Error {
  constructor(
    message: string,
    readonly migration: string,
  ) {
    super(message);
    this.name = "MigrationError";
  }
}

/** The migrations a database's ledger does not have yet (all of them for a database without one). */
export async function pendingMigrations(client: Client, migrations: readonly Migration[]): Promise<string[]> {
  const ledger = await client.execute(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_islet_migrations'",
  );
  if (ledger.rows.length === 0) return migrations.map((m) => m.name);
  const rows = await client.execute("SELECT name FROM _islet_migrations");
  const applied = new Set(rows.rows.map((r) => String(r.name)));
  return migrations.map((m) => m.name).filter((name) => !applied.has(name));
}

/**
 * Applies pending migrations in name order, each in one write batch (one transaction) together
 * with its ledger row, so a migration is either fully applied and recorded or not at all.
 * A landed migration whose text changed is refused: migrations are never edited.
 */
export async function applyMigrations(client: Client, migrations: readonly Migration[]): Promise<string[]> {
  await client.execute(LEDGER);
  const rows = await client.execute("SELECT name, checksum FROM _islet_migrations");
  const applied = new Map(rows.rows.map((r) => [String(r.name), String(r.checksum)]));
  const done: string[] = [];
  for (const migration of [...migrations].sort((a, b) => a.name.localeCompare(b.name))) {
    const checksum = await sha256Hex(migration.sql);
    const previous = applied.get(migration.name);
    if (previous !== undefined) {
      if (previous !== checksum) {
        throw new MigrationError(
          `migration ${migration.name} was edited after it was applied`,
          migration.name,
        );
      }
      continue;
    }
    const statements = [
      ...splitStatements(migration.sql),
      {
        sql: "INSERT INTO _islet_migrations (name, checksum, applied_at) VALUES (?, ?, ?)",
        args: [migration.name, checksum, Date.now()],
      },
    ];
    try {
      // A table rebuild (SQLite changes a CHECK only so) drops a table others reference: with
      // enforcement on, the drop would cascade into their rows. `migrate` turns enforcement off
      // around the same one transaction; SQLite ignores that PRAGMA inside a transaction.
      if (FOREIGN_KEYS_OFF.test(migration.sql)) await client.migrate(statements);
      else await client.batch(statements, "write");
    } catch (error) {
      throw new MigrationError(
        `migration ${migration.name} failed: ${error instanceof Error ? error.message : String(error)}`,
        migration.name,
      );
    }
    done.push(migration.name);
  }
  return done;
}
