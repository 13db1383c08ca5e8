import type { Transaction } from "@libsql/client/web";
import { systemDb } from "../../db/tenant/client";
import { catalog } from "../../db/tenant/schema";
import { ApiError } from "../../lib/errors";
import { commitWithAudit } from "../audit";
import { authorizeWorkspace } from "../core/access";
import { assertRoomFor } from "../core/caps";
import { parseInput, type ServiceArgs } from "../core/context";
import { nameConflict, openTable, SCHEMA_WRITE, toDefinition } from "./catalog";
import { checkDefinition } from "./check";
import {
  type ColumnDefinition,
  type IndexDefinition,
  newTableStatements,
  quote,
  type TableDefinition,
} from "./definition";
import { createTableInput, dropTableInput, TABLES_NEEDS, tableTarget, workspaceScoped } from "./schemas";

export { alterTable, type TableChanges } from "./alter";
export { openTable, readTable } from "./catalog";
export type { ColumnDefinition, IndexDefinition, TableDefinition } from "./definition";
export * from "./schemas";

export async function createTable({
  ctx,
  input: raw,
}: ServiceArgs<{
  workspaceId: string;
  name: string;
  columns: ColumnDefinition[];
  indexes?: IndexDefinition[];
}>): Promise<TableDefinition> {
  const input = parseInput(createTableInput, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, SCHEMA_WRITE);
  const indexes = input.indexes ?? [];
  await checkDefinition({ name: input.name, columns: input.columns, indexes }, input.columns);
  const db = await access.db();
  const now = Date.now();
  const table: TableDefinition = {
    name: input.name,
    columns: input.columns,
    indexes,
    createdAt: now,
    updatedAt: now,
  };
  try {
    // Counted under the write lock: parallel creates cannot pass the plan's cap.
    const withinCap = async (tx: Transaction) => {
      await assertRoomFor(tx, access.workspace.plan, "tables");
      return newTableStatements(table);
    };
    await commitWithAudit(ctx, db, withinCap, [
      {
        action: "table.create",
        targetType: "table",
        targetId: input.name,
        details: { columns: input.columns.length, indexes: indexes.length },
      },
    ]);
  } catch (error) {
    throw nameConflict(error) ?? error;
  }
  return table;
}

export async function listTables({ ctx, input: raw }: ServiceArgs<{ workspaceId: string }>) {
  const input = parseInput(workspaceScoped, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, TABLES_NEEDS.read);
  const rows = await systemDb(await access.db())
    .select()
    .from(catalog)
    .orderBy(catalog.name);
  const tables = rows.map(toDefinition);
  // A key or an end user confined to some tables sees only those.
  const allowed = ctx.actor.type === "apiKey" || ctx.actor.type === "endUser" ? ctx.actor.tables : null;
  return allowed === null ? tables : tables.filter((t) => allowed.includes(t.name));
}

export async function getTable({ ctx, input: raw }: ServiceArgs<{ workspaceId: string; table: string }>) {
  const input = parseInput(tableTarget, raw);
  return (await openTable(ctx, input.workspaceId, input.table, TABLES_NEEDS.read)).table;
}

/** Drops a table; the body must name it (`confirm`), as every destructive operation does. */
export async function dropTable({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; table: string; confirm?: string }>): Promise<void> {
  const input = parseInput(dropTableInput, raw);
  const { db, table } = await openTable(ctx, input.workspaceId, input.table, SCHEMA_WRITE);
  if (input.confirm !== table.name) {
    throw new ApiError(
      "confirmation_required",
      `Dropping deletes every row: send { "confirm": "${table.name}" }`,
    );
  }
  await commitWithAudit(
    ctx,
    db,
    [
      `DROP TABLE ${quote(table.name)}`,
      { sql: "DELETE FROM _islet_tables WHERE name = ?", args: [table.name] },
    ],
    [{ action: "table.drop", targetType: "table", targetId: table.name }],
  );
}
