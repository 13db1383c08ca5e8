// The sealed records themselves, read column by column from the sealed columns each domain
// declares (src/services/inventory): what the keyring rotates and counts and what the scan checks.
import type { Client } from "@libsql/client/web";
import { type SecretBinding, secretBinding } from "../../lib/crypto";
import type { SealedColumn } from "../core/inventory";
import { CONTROL_SEALED_COLUMNS, sealedColumnName, TENANT_SEALED_COLUMNS } from "../inventory";

/** One envelope: its column, what it is bound to, and a conditional write of a new one. */
export interface SealedRecord {
  column: SealedColumn;
  /** `table.column`, as reports name it. */
  name: string;
  id: string;
  workspaceId: string;
  envelope: string;
  binding: SecretBinding;
  /** Replaces the envelope only if it is still the one read (a concurrent writer wins). */
  replace: (next: string) => Promise<boolean>;
}

// Names come from the constant list, never from input; quoted all the same.
const q = (name: string) => `"${name.replace(/"/g, '""')}"`;

function sealedRecord(
  db: Client,
  column: SealedColumn,
  id: string,
  workspaceId: string,
  envelope: string,
): SealedRecord {
  return {
    column,
    name: sealedColumnName(column),
    id,
    workspaceId,
    envelope,
    binding: secretBinding(column.kind, workspaceId, id),
    replace: async (next) =>
      (
        await db.execute({
          sql: `UPDATE ${q(column.table)} SET ${q(column.column)} = ?
                WHERE ${q(column.idColumn)} = ? AND ${q(column.column)} = ?`,
          args: [next, id, envelope],
        })
      ).rowsAffected === 1,
  };
}

/** The control database's sealed records: every workspace's, or one workspace's. */
export async function controlSealedRecords(db: Client, workspaceId?: string): Promise<SealedRecord[]> {
  const out: SealedRecord[] = [];
  for (const column of CONTROL_SEALED_COLUMNS) {
    const only = workspaceId === undefined ? "" : ` AND ${q(column.workspaceColumn)} = ?`;
    const { rows } = await db.execute({
      sql: `SELECT ${q(column.idColumn)} AS id, ${q(column.workspaceColumn)} AS workspace, ${q(column.column)} AS enc
            FROM ${q(column.table)} WHERE ${q(column.column)} IS NOT NULL${only}`,
      args: workspaceId === undefined ? [] : [workspaceId],
    });
    for (const row of rows)
      out.push(sealedRecord(db, column, String(row.id), String(row.workspace), String(row.enc)));
  }
  return out;
}

/** A workspace's own sealed records, read from its database. */
export async function tenantSealedRecords(db: Client, workspaceId: string): Promise<SealedRecord[]> {
  const out: SealedRecord[] = [];
  for (const column of TENANT_SEALED_COLUMNS) {
    let rows: Record<string, unknown>[];
    try {
      rows = (
        await db.execute(
          `SELECT ${q(column.idColumn)} AS id, ${q(column.column)} AS enc
           FROM ${q(column.table)} WHERE ${q(column.column)} IS NOT NULL`,
        )
      ).rows as unknown as Record<string, unknown>[];
    } catch (error) {
      // A tenant not yet migrated to the table or column holds no record there.
      if (/no such (table|column)/i.test(String(error))) continue;
      throw error;
    }
    for (const row of rows) out.push(sealedRecord(db, column, String(row.id), workspaceId, String(row.enc)));
  }
  return out;
}
