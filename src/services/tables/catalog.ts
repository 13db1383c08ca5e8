import type { Client, Row, Transaction } from "@libsql/client/web";
import { eq } from "drizzle-orm";
import type { WorkspaceRow } from "../../db/control/schema";
import { sqliteConstraint } from "../../db/errors";
import { systemDb } from "../../db/tenant/client";
import { catalog } from "../../db/tenant/schema";
import { ApiError } from "../../lib/errors";
import { authorizeWorkspace, type WorkspaceNeed } from "../core/access";
import type { ServiceContext } from "../core/context";
import type { ColumnDefinition, IndexDefinition, PendingRecompute, TableDefinition } from "./definition";
import { TABLES_NEEDS } from "./schemas";

export type CatalogRow = typeof catalog.$inferSelect;

/** A catalog row read inside a transaction (raw client), into the schema's typed shape. */
export const catalogRowOf = (r: Row): CatalogRow => ({
  name: String(r.name),
  columns: String(r.columns),
  indexes: String(r.indexes),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
  recompute: r.recompute === null || r.recompute === undefined ? null : String(r.recompute),
});

export const toDefinition = (row: CatalogRow): TableDefinition => ({
  name: row.name,
  columns: JSON.parse(row.columns) as ColumnDefinition[],
  indexes: JSON.parse(row.indexes) as IndexDefinition[],
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
  ...(row.recompute ? { pendingRecompute: JSON.parse(row.recompute) as PendingRecompute } : {}),
});

/** Maps a taken name (tables and indexes share one namespace) to a 409. */
export function nameConflict(error: unknown): ApiError | undefined {
  const violation = sqliteConstraint(error);
  if (violation?.kind === "exists") {
    return new ApiError("conflict", `The name ${violation.name} is already taken in this database`);
  }
  if (violation?.kind === "unique" && violation.table === "_islet_tables") {
    return new ApiError("conflict", "A table of that name already exists");
  }
  return undefined;
}

/** The catalog entry of a user table, or 404. Only catalogued tables are ever reachable. */
export async function readTable(db: Client, name: string): Promise<TableDefinition> {
  const [row] = await systemDb(db).select().from(catalog).where(eq(catalog.name, name));
  if (!row) throw new ApiError("not_found", `Table ${name} does not exist`);
  return toDefinition(row);
}

export const SCHEMA_WRITE = TABLES_NEEDS.write;

/** Authorizes `need` on one table of the workspace, then opens its database and reads its definition. */
export async function openTable(
  ctx: ServiceContext,
  workspaceId: string,
  name: string,
  need: WorkspaceNeed,
): Promise<{ db: Client; table: TableDefinition; workspace: WorkspaceRow }> {
  const access = await authorizeWorkspace(ctx, workspaceId, { ...need, table: name });
  const db = await access.db();
  return { db, table: await readTable(db, name), workspace: access.workspace };
}

/**
 * Inside a write transaction: refuses (409) if the table's definition is no longer the one the
 * caller planned with — a concurrent schema change would otherwise meet a statement built for
 * the old columns (an unknown column, a new formula left uncomputed).
 */
export async function assertCatalogUnchanged(tx: Transaction, table: TableDefinition): Promise<void> {
  const locked = await tx.execute({
    sql: "SELECT columns, indexes FROM _islet_tables WHERE name = ?",
    args: [table.name],
  });
  const row = locked.rows[0];
  if (row?.columns !== JSON.stringify(table.columns) || row?.indexes !== JSON.stringify(table.indexes)) {
    throw new ApiError("conflict", `Table ${table.name} changed meanwhile; retry`);
  }
}
