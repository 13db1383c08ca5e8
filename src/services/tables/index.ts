import type { Client } from "@libsql/client/web";
import { ApiError } from "../../lib/errors";
import { validateFormula } from "../../sandbox";
import type { ServiceContext } from "../../types";
import { authorizeWorkspace } from "../access";
import { commitWithAudit } from "../audit";
import { type ColumnDefinition, createTableDdl, quote, type TableDefinition } from "./definition";

export type { ColumnDefinition, TableDefinition } from "./definition";

interface CatalogRow {
  name: string;
  columns: string;
  created_at: number;
  updated_at: number;
}

const toDefinition = (row: CatalogRow): TableDefinition => ({
  name: row.name,
  columns: JSON.parse(row.columns) as ColumnDefinition[],
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at),
});

/** The catalog entry of a user table, or 404. Only catalogued tables are ever reachable. */
export async function readTable(db: Client, name: string): Promise<TableDefinition> {
  const result = await db.execute({ sql: "SELECT * FROM _islet_tables WHERE name = ?", args: [name] });
  const row = result.rows[0] as unknown as CatalogRow | undefined;
  if (!row) throw new ApiError("not_found", `Table ${name} does not exist`);
  return toDefinition(row);
}

export async function createTable({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { workspaceId: string; name: string; columns: ColumnDefinition[] };
}): Promise<TableDefinition> {
  const access = await authorizeWorkspace(ctx, input.workspaceId, { role: "member", scope: "schema:write" });
  const names = new Set<string>();
  for (const column of input.columns) {
    if (names.has(column.name)) {
      throw new ApiError("invalid_request", `Column ${column.name} is defined twice`, {
        details: { column: column.name },
      });
    }
    names.add(column.name);
    if (column.formula !== undefined) {
      const check = await validateFormula(column.formula);
      if (!check.ok) {
        throw new ApiError(
          "invalid_request",
          `Formula of column ${column.name} is invalid: ${check.message}`,
          {
            details: { column: column.name },
          },
        );
      }
    }
  }
  const db = await access.db();
  const now = Date.now();
  try {
    await commitWithAudit(
      ctx,
      db,
      [
        createTableDdl(input.name, input.columns),
        {
          sql: "INSERT INTO _islet_tables (name, columns, created_at, updated_at) VALUES (?, ?, ?, ?)",
          args: [input.name, JSON.stringify(input.columns), now, now],
        },
      ],
      [
        {
          action: "table.create",
          targetType: "table",
          targetId: input.name,
          details: { columns: input.columns.length },
        },
      ],
    );
  } catch (error) {
    if (/already exists|UNIQUE constraint failed: _islet_tables/i.test(String(error))) {
      throw new ApiError("conflict", `Table ${input.name} already exists`);
    }
    throw error;
  }
  return { name: input.name, columns: input.columns, createdAt: now, updatedAt: now };
}

export async function listTables({ ctx, input }: { ctx: ServiceContext; input: { workspaceId: string } }) {
  const access = await authorizeWorkspace(ctx, input.workspaceId, { role: "viewer", scope: "data:read" });
  const result = await (await access.db()).execute("SELECT * FROM _islet_tables ORDER BY name");
  const tables = (result.rows as unknown as CatalogRow[]).map(toDefinition);
  // A key confined to some tables sees only those.
  const allowed = ctx.actor.type === "apiKey" ? ctx.actor.tables : null;
  return allowed === null ? tables : tables.filter((t) => allowed.includes(t.name));
}

export async function getTable({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { workspaceId: string; table: string };
}) {
  const access = await authorizeWorkspace(ctx, input.workspaceId, {
    role: "viewer",
    scope: "data:read",
    table: input.table,
  });
  return readTable(await access.db(), input.table);
}

/** Drops a table; the body must name it (`confirm`), as every destructive operation does. */
export async function dropTable({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { workspaceId: string; table: string; confirm?: string };
}): Promise<void> {
  const access = await authorizeWorkspace(ctx, input.workspaceId, {
    role: "member",
    scope: "schema:write",
    table: input.table,
  });
  const db = await access.db();
  const table = await readTable(db, input.table);
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
